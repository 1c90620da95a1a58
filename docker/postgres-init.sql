CREATE DATABASE analytics_db;
