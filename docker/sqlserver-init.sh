#!/usr/bin/env bash
# SQL Server creates no database from its environment: make products_db once it answers.
for _ in $(seq 1 60); do
  /opt/mssql-tools/bin/sqlcmd -S sqlserver -U sa -P "$MSSQL_SA_PASSWORD" \
    -Q "IF DB_ID(N'products_db') IS NULL CREATE DATABASE products_db" && exit 0
  sleep 2
done
exit 1
