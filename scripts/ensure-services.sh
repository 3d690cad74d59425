#!/usr/bin/env bash
# Makes sure PostgreSQL and Redis answer on localhost: start them if installed and stopped, install them
# from Debian's packages if missing (CI on a fresh Debian machine). Idempotent.
set -euo pipefail

pg_up() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }
redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }
apt_install() {
  echo "[services] installing $*" >&2
  apt-get update -qq || true
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if ! pg_up; then
  command -v pg_ctlcluster >/dev/null 2>&1 || apt_install postgresql
  version=$(ls /etc/postgresql | sort -V | tail -1)
  echo "[services] starting PostgreSQL $version" >&2
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 60); do pg_up && break; sleep 0.5; done
  pg_up || { echo "[services] PostgreSQL did not start" >&2; exit 1; }
fi
# Tests connect as postgres over TCP without a password (trust), as on the project's machines.
if ! psql -h 127.0.0.1 -U postgres -Atc 'select 1' >/dev/null 2>&1; then
  version=$(ls /etc/postgresql | sort -V | tail -1)
  hba=/etc/postgresql/$version/main/pg_hba.conf
  echo "[services] allowing trust auth for local TCP connections in $hba" >&2
  sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
  pg_ctlcluster --skip-systemctl-redirect "$version" main reload
fi

if ! redis_up; then
  command -v redis-server >/dev/null 2>&1 || apt_install redis-server
  echo "[services] starting Redis" >&2
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no
  for _ in $(seq 40); do redis_up && break; sleep 0.25; done
  redis_up || { echo "[services] Redis did not start" >&2; exit 1; }
fi
echo "[services] PostgreSQL and Redis answer on 127.0.0.1" >&2
