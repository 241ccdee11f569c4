# Million-ticket benchmarks (benchmarks/README.md). `make bench` builds each benchmark database once
# (SQLite file and PostgreSQL database `attenda_bench`), then measures the agent's pages on both.
#   make bench                       load if missing, then measure, on SQLite and PostgreSQL
#   make bench-sqlite | bench-postgres
#   make bench TICKETS=100000        a smaller run (its own load, replacing the million)
#   make bench-reload-sqlite | bench-reload-postgres | bench-clean
#   make bench-mail                  mail ingestion of the shared corpus (SQLite)
#   make bench-service-levels        deadlines due soon and the escalation sweep, both engines
#   make bench-assignment            assignment decisions, 1,000 agents in 100 teams, both engines
#   make bench-triage                triage of one message on one core, and a worker's memory
#   make bench-triage-desk           triage inside receive(), on a database of its own (SQLite)
#   make bench-search                customer lookup at a million customers and keyword search, both engines
#   make bench-search-desk           keyword search and its page on the loaded million, index filled, both engines
#   make bench-mail-desk             mail intake into the loaded million, search index filled, both engines
#   make bench-api-create            POST /api/v1/tickets on the loaded million, both engines
#   make bench-phone                 voice-menu answer and caller identification at a million customers, both engines
#   make bench-http                  attenda serve --processes 2 and 20 signed-in agents, both engines
#   make bench-social                messaging webhooks over HTTP, answered p95 ≤ 50 ms, both engines
#   make bench-counter               office display and counter pages hear calls; inbox with 200 live connections
#   make bench-chat                  500 chat visitors and their agents on the loaded million, both engines
#   make bench-scale-out             PostgreSQL + Redis, 4 web processes, 2 workers, 200 agents, kills

PYTHON ?= .venv/bin/python
TICKETS ?= 1000000
ENTRIES ?= 3
REQUESTS ?= 200
WARMUP ?= 20
DEPTH ?= 500
SQLITE_URL ?= sqlite:///$(CURDIR)/benchmarks/results/bench.db
POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/attenda_bench

LOAD = $(PYTHON) -m benchmarks.load --tickets $(TICKETS) --entries-per-ticket $(ENTRIES)
MEASURE = $(PYTHON) -m benchmarks.inbox --requests $(REQUESTS) --warmup $(WARMUP) --depth $(DEPTH)

.PHONY: bench bench-social bench-counter bench-phone bench-chat bench-scale-out bench-search bench-search-desk bench-mail-desk bench-api-create bench-http bench-mail bench-assignment bench-service-levels bench-triage bench-triage-desk \
	bench-sqlite bench-postgres bench-load-sqlite bench-load-postgres bench-reload-sqlite \
	bench-reload-postgres bench-clean

# Both engines are measured even when the first misses a target; the exit status tells.
bench:
	@status=0; \
	$(MAKE) --no-print-directory bench-sqlite || status=1; \
	$(MAKE) --no-print-directory bench-postgres || status=1; \
	exit $$status

bench-sqlite: bench-load-sqlite
	$(MEASURE) --database-url $(SQLITE_URL)

bench-postgres: bench-load-postgres
	$(MEASURE) --database-url $(POSTGRES_URL)

bench-load-sqlite:
	$(LOAD) --if-missing --database-url $(SQLITE_URL)

bench-load-postgres:
	$(LOAD) --if-missing --database-url $(POSTGRES_URL)

bench-reload-sqlite:
	$(LOAD) --database-url $(SQLITE_URL)

bench-reload-postgres:
	$(LOAD) --database-url $(POSTGRES_URL)

bench-clean:
	$(PYTHON) -m benchmarks.load --drop --database-url $(SQLITE_URL)
	$(PYTHON) -m benchmarks.load --drop --database-url $(POSTGRES_URL)

# Triage where it runs, inside receive() (benchmarks/README.md, "Triage at the desk").
bench-triage-desk:
	$(PYTHON) -m benchmarks.triage_desk

# Mail ingestion of the shared corpus (benchmarks/README.md, "Mail coming in").
bench-mail:
	$(PYTHON) -m benchmarks.mail_ingest

# Deadlines due soon and the escalation sweep at a million open tickets (benchmarks/README.md,
# "Service levels"); each run loads its own databases afresh.
SLA_SQLITE_URL ?= sqlite:///$(CURDIR)/benchmarks/results/sla.db
SLA_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/attenda_bench_sla

bench-service-levels:
	@status=0; \
	$(PYTHON) -m benchmarks.service_levels_bench --database-url $(SLA_SQLITE_URL) || status=1; \
	$(PYTHON) -m benchmarks.service_levels_bench --database-url $(SLA_POSTGRES_URL) || status=1; \
	exit $$status

# Assignment decisions with 1,000 agents in 100 teams (benchmarks/README.md, "Assignment"), on a
# database of its own per engine, made anew each run; both engines even when the first misses.
ASSIGN_SQLITE_URL ?= sqlite:///$(CURDIR)/benchmarks/results/assign.db
ASSIGN_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/attenda_bench_assign
DECISIONS ?= 2000

bench-assignment:
	@status=0; \
	$(PYTHON) -m benchmarks.assignment_bench --decisions $(DECISIONS) --database-url $(ASSIGN_SQLITE_URL) || status=1; \
	$(PYTHON) -m benchmarks.assignment_bench --decisions $(DECISIONS) --database-url $(ASSIGN_POSTGRES_URL) || status=1; \
	exit $$status

# Triage of one message and a worker's memory (benchmarks/README.md, "Triage").
bench-triage:
	$(PYTHON) -m benchmarks.triage_bench

# Finding customers among a million and searching tickets' words (benchmarks/README.md, "Finding
# customers and words"), on databases of their own made anew each run; the customers' rows are
# generated once and loaded into both engines. Both engines even when the first misses a target.
CUSTOMERS ?= 1000000
SEARCH_TICKETS ?= 1000000

bench-search:
	@status=0; rm -rf benchmarks/results/customer-rows; \
	$(PYTHON) -m benchmarks.customer_lookup_bench --engine sqlite --customers $(CUSTOMERS) || status=1; \
	$(PYTHON) -m benchmarks.customer_lookup_bench --engine postgresql --customers $(CUSTOMERS) || status=1; \
	$(PYTHON) -m benchmarks.search_bench --engine sqlite --tickets $(SEARCH_TICKETS) || status=1; \
	$(PYTHON) -m benchmarks.search_bench --engine postgresql --tickets $(SEARCH_TICKETS) || status=1; \
	exit $$status

# Keyword search on the loaded million (benchmarks/load.py's, its search index filled), words chosen
# from its own text; only reads. Both engines even when the first fails.
bench-search-desk: bench-load-sqlite bench-load-postgres
	@status=0; \
	$(PYTHON) -m benchmarks.search_bench --database-url $(SQLITE_URL) || status=1; \
	$(PYTHON) -m benchmarks.search_bench --database-url $(POSTGRES_URL) || status=1; \
	exit $$status

# Writes on a full desk: the loaded million with its search index filled, `attenda worker` beside
# (benchmarks/README.md, "A full desk"); both engines even when the first misses.
bench-mail-desk: bench-load-sqlite bench-load-postgres
	@status=0; \
	$(PYTHON) -m benchmarks.mail_ingest --desk --database-url $(SQLITE_URL) || status=1; \
	$(PYTHON) -m benchmarks.mail_ingest --desk --database-url $(POSTGRES_URL) || status=1; \
	exit $$status

bench-api-create: bench-load-sqlite bench-load-postgres
	@status=0; \
	$(PYTHON) -m benchmarks.api_create --database-url $(SQLITE_URL) || status=1; \
	$(PYTHON) -m benchmarks.api_create --database-url $(POSTGRES_URL) || status=1; \
	exit $$status

# Pages over HTTP: `attenda serve --processes 2` on the million, 20 signed-in agents at once.
HTTP_PORT ?= 8106
bench-http: bench-load-sqlite bench-load-postgres
	@status=0; \
	$(PYTHON) -m benchmarks.http_bench --port $(HTTP_PORT) --database-url $(SQLITE_URL) || status=1; \
	$(PYTHON) -m benchmarks.http_bench --port $(HTTP_PORT) --database-url $(POSTGRES_URL) || status=1; \
	exit $$status

# The voice menu's answer and caller identification among a million customers, both engines.
bench-phone:
	@status=0; \
	$(PYTHON) -m benchmarks.phone_bench --engine sqlite --customers $(CUSTOMERS) || status=1; \
	$(PYTHON) -m benchmarks.phone_bench --engine postgresql --customers $(CUSTOMERS) || status=1; \
	exit $$status

# A messaging webhook over HTTP (benchmarks/README.md, "Messaging webhooks"), each engine on a
# database of its own made anew each run; both engines even when the first misses.
SOCIAL_SQLITE_URL ?= sqlite:///$(CURDIR)/benchmarks/results/social.db
SOCIAL_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/attenda_bench_social
SOCIAL_PORT ?= 8107

bench-social:
	@status=0; \
	$(PYTHON) -m benchmarks.social_webhook --port $(SOCIAL_PORT) --database-url $(SOCIAL_SQLITE_URL) || status=1; \
	$(PYTHON) -m benchmarks.social_webhook --port $(SOCIAL_PORT) --database-url $(SOCIAL_POSTGRES_URL) || status=1; \
	exit $$status

# On a copy of the loaded SQLite million (the benchmark adds an office and its visits to it).
COUNTER_DB ?= $(CURDIR)/benchmarks/results/counter.db
bench-counter: bench-load-sqlite
	test -f $(COUNTER_DB) || $(PYTHON) -c "import sqlite3, sys; \
		sqlite3.connect(sys.argv[1]).backup(sqlite3.connect(sys.argv[2]))" \
		$(CURDIR)/benchmarks/results/bench.db $(COUNTER_DB)
	$(PYTHON) -m benchmarks.counter_bench --database-url sqlite:///$(COUNTER_DB)

# Chat visitors and their agents against attenda serve on the loaded million, the desk's inbox read
# meanwhile (benchmarks/README.md, "Chat"); both engines even when the first misses.
CHAT_PORT ?= 8108
bench-chat: bench-load-sqlite bench-load-postgres
	@status=0; \
	$(PYTHON) -m benchmarks.chat_bench --port $(CHAT_PORT) --database-url $(SQLITE_URL) || status=1; \
	$(PYTHON) -m benchmarks.chat_bench --port $(CHAT_PORT) --database-url $(POSTGRES_URL) || status=1; \
	exit $$status
# Scale-out on one machine (benchmarks/README.md, "Scale-out"): PostgreSQL + Redis, `attenda serve
# --no-worker --processes 4`, two workers, 200 agents for MINUTES, a worker and a web process killed.
SCALE_URL ?= postgres://postgres@127.0.0.1:5432/attenda_bench_scale
SCALE_REDIS_URL ?= redis://127.0.0.1:6379/0
MINUTES ?= 10
AGENTS ?= 200
THINK ?= 10

bench-scale-out:
	$(PYTHON) -m benchmarks.load --if-missing --tickets $(TICKETS) --database-url $(SCALE_URL)
	$(PYTHON) -m benchmarks.scale_out --database-url $(SCALE_URL) --redis-url $(SCALE_REDIS_URL) \
		--minutes $(MINUTES) --agents $(AGENTS) --think $(THINK)
