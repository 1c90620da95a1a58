FROM python:3.11-slim

# FreeTDS is the ODBC driver for SQL Server; unixODBC is what pyodbc loads it through.
RUN apt-get update \
    && apt-get install -y --no-install-recommends tdsodbc unixodbc \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /srv
COPY pyproject.toml README.md ./
COPY app app
COPY containers containers
COPY settings settings
# The distribution multidb-service (pyproject.toml), with every driver.
RUN pip install --no-cache-dir ".[all]"
LABEL org.opencontainers.image.title="multidb-service"

ENV HOST=0.0.0.0 PORT=8000
EXPOSE 8000
CMD ["python", "-m", "app"]
