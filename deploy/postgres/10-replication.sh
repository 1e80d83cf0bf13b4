#!/bin/sh
# deploy/postgres/10-replication.sh: run once by the postgres image when it initialises the
# primary (docker-compose.yml mounts it into /docker-entrypoint-initdb.d): the standby may
# connect for streaming replication with the same password as the application role.
set -e
echo "host replication all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
