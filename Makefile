# Scholingsalliantie: one command to run the platform, one to test it. `make help` lists all.
SHELL := /bin/bash
.DEFAULT_GOAL := help
LOCAL := deploy/local
PYTEST_ARGS ?=

.PHONY: help run stop clean logs status test test-fast test-scale setup deadletters replay-deadletters compose-config lint-api bench bench-summary bench-scale bench-import bench-search bench-intake bench-notify bench-analytics bench-pages bench-relevance reindex reconcile reliability backup restore replay-erasures analytics-replay analyst-user

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-20s %s\n", $$1, $$2}'

setup: ## install what is missing (Debian packages, .venv with pinned dependencies)
	@$(LOCAL)/infra.sh setup

run: ## set up, start RabbitMQ, PostgreSQL and every service in the background, load the demo catalogue (SCALE=2, CLUSTER=3, STANDBY=1: docs/scale-out.md; OIDC=1: staff sign in as themselves, docs/sign-in.md)
	@$(LOCAL)/platform.sh up

stop: ## stop everything `make run` started (by PID)
	@$(LOCAL)/platform.sh down

clean: stop ## stop, then delete the local data (.run/)
	@rm -rf .run && echo "==> removed .run/"

logs: ## follow the service logs of `make run`
	@$(LOCAL)/platform.sh logs

status: ## what `make run` has running
	@$(LOCAL)/platform.sh status

test: ## set up, start test infrastructure, run the whole suite, stop what it started
	@$(LOCAL)/test.sh $(PYTEST_ARGS)

test-fast: ## the suite without tests marked slow (broker restarts)
	@$(LOCAL)/test.sh -m "not slow" $(PYTEST_ARGS)

test-scale: ## the end-to-end tests against two processes of every service, the gateways behind HAProxy (as `make run SCALE=2`)
	@SA_TEST_SCALE=2 SA_BROWSER_TESTS=no $(LOCAL)/test.sh tests/e2e $(PYTEST_ARGS)

reliability: ## run the fault scenarios (broker, database and consumers failing; a cluster node killed; the primary lost; poison; races) and the attacks of the security test; print their tables (bench/results/)
	@rm -f .run/test/reliability.jsonl
	@SA_RELIABILITY_OUT="$(CURDIR)/.run/test/reliability.jsonl" SA_BROWSER_TESTS=no $(LOCAL)/test.sh -q -p no:cacheprovider tests/faults tests/scale tests/e2e/test_notify_crash.py tests/hostile tests/chassis/test_secrets.py tests/unit/test_csv_cells.py tests/contract/test_deploy.py --ignore=tests/hostile/test_schemathesis.py
	@.venv/bin/python bench/reliability.py .run/test/reliability.jsonl

deadletters: ## list dead-lettered events of `make run` (failing handlers, after retries)
	@source $(LOCAL)/env.sh && .venv/bin/python -m services.chassis.deadletters list

replay-deadletters: ## move dead-lettered events of `make run` back to their queues
	@source $(LOCAL)/env.sh && .venv/bin/python -m services.chassis.deadletters replay

analytics-replay: ## rebuild every analytics rollup of `make run` from its facts (FACTS=1: derive the facts again from the event archive first)
	@source $(LOCAL)/env.sh && DATABASE_URL=postgresql://postgres@127.0.0.1:$$PG_PORT/analytics \
	  .venv/bin/python -m services.analytics.replay $(if $(FACTS),--facts)

analyst-user: ## a read-only RabbitMQ user for an analyst of `make run` (NAME=x): prints its amqp:// URI
	@test -n "$$NAME" || { echo "usage: make analyst-user NAME=<name>" >&2; exit 2; }
	@source $(LOCAL)/env.sh && .venv/bin/python -m services.analytics.analyst_user "$$NAME"

reconcile: ## compare search's read model of `make run` with the catalogue; prints every difference (exit 1 if any)
	@source $(LOCAL)/env.sh && .venv/bin/python -m services.search.reconcile

backup: ## dump every service's database of `make run` into .run/run/backups/<time>/ (TO=dir to choose)
	@source $(LOCAL)/env.sh && .venv/bin/python -m deploy.local.backup backup $(if $(TO),--to "$$TO")

restore: ## restore BACKUP=dir into `make run`'s databases (stops the services first; then `make run`, `make replay-erasures`)
	@test -n "$$BACKUP" || { echo "usage: make restore BACKUP=.run/run/backups/<time>" >&2; exit 2; }
	@$(LOCAL)/platform.sh services-down
	@source $(LOCAL)/env.sh && "$(LOCAL)/infra.sh" start && .venv/bin/python -m deploy.local.backup restore --from "$$BACKUP"

replay-erasures: ## after a restore: erase again the people erased since BACKUP=dir was taken (intake's erasure log)
	@test -n "$$BACKUP" || { echo "usage: make replay-erasures BACKUP=.run/run/backups/<time>" >&2; exit 2; }
	@source $(LOCAL)/env.sh && .venv/bin/python -m deploy.local.backup replay-erasures --from "$$BACKUP" --log "$$RUN_DIR/erasures.log"

reindex: ## rebuild the search read model of `make run` from the catalogue
	@source $(LOCAL)/env.sh && .venv/bin/python -m services.search.reindex

lint-api: setup ## lint /openapi.json with Logius's API Design Rules linter (Spectral, the ruleset pinned in tests/contract/adr); docs/api-design-rules.md explains what it finds
	@mkdir -p .run && source $(LOCAL)/env.sh && "$$VENV/bin/python" -W ignore -m services.gateway.openapi > .run/openapi.json
	@.run/node/node_modules/.bin/spectral lint -r tests/contract/adr/linter.yaml .run/openapi.json || echo "==> each finding's rule is explained in docs/api-design-rules.md (the suite checks that)"

compose-config: ## check docker-compose.yml (needs only the docker client)
	@docker compose config -q 2>/dev/null && echo "docker-compose.yml is valid" || .venv/bin/python -m pytest -q tests/contract/test_deploy.py

bench-import: ## benchmark: bulk import of N offerings through the gateway vs a bare COPY (N=100000)
	@SA_PROFILE=test PG_FSYNC=off bash -c 'source $(LOCAL)/env.sh && $(LOCAL)/infra.sh setup && \
	  trap "$(LOCAL)/infra.sh stop" EXIT && $(LOCAL)/infra.sh start && \
	  .venv/bin/python bench/catalogue_import.py --offerings $${N:-100000}'

bench-search: ## benchmark: search latency/throughput at 1/8/32 clients, gateway vs backend, freshness (N=100000)
	@SA_PROFILE=test PG_FSYNC=off bash -c 'source $(LOCAL)/env.sh && $(LOCAL)/infra.sh setup && \
	  trap "$(LOCAL)/infra.sh stop" EXIT && $(LOCAL)/infra.sh start && \
	  .venv/bin/python bench/search.py --offerings $${N:-100000}'

bench-intake: ## benchmark: intakes through the gateway at 1/8 clients vs direct inserts; the deadline sweep over 100,000 open intakes (PROFILE=1: where each process spends its CPU)
	@SA_PROFILE=test PG_FSYNC=off bash -c 'source $(LOCAL)/env.sh && $(LOCAL)/infra.sh setup && \
	  trap "$(LOCAL)/infra.sh stop" EXIT && $(LOCAL)/infra.sh start && \
	  .venv/bin/python bench/intake.py $(if $(PROFILE),--profile .run/test/profiles/intake)'

bench-analytics: ## benchmark: 1,000,000 events archived and rolled up vs a bare consumer; reports over a year of events
	@SA_PROFILE=test PG_FSYNC=off bash -c 'source $(LOCAL)/env.sh && $(LOCAL)/infra.sh setup && \
	  trap "$(LOCAL)/infra.sh stop" EXIT && $(LOCAL)/infra.sh start && \
	  .venv/bin/python bench/analytics.py $(BENCH_ARGS)'

bench-relevance: ## the judged queries over the relevance catalogue: nDCG@10, recall@10, zero-result rate per backend, and the queries under par
	@SA_PROFILE=test PG_FSYNC=off bash -c 'source $(LOCAL)/env.sh && $(LOCAL)/infra.sh setup && \
	  trap "$(LOCAL)/infra.sh stop" EXIT && $(LOCAL)/infra.sh start && \
	  .venv/bin/python -m pytest tests/search/test_relevance.py -q -s -p no:cacheprovider --amqp-uri "$$AMQP_URI" \
	    --rabbit-api-uri "$$RABBIT_API_URI"'

bench-pages: ## benchmark: the results page at 8 clients beside the search API at the same load (demo catalogue)
	@SA_PROFILE=test PG_FSYNC=off bash -c 'source $(LOCAL)/env.sh && $(LOCAL)/infra.sh setup && \
	  trap "$(LOCAL)/infra.sh stop" EXIT && $(LOCAL)/infra.sh start && \
	  .venv/bin/python bench/pages.py'

bench-scale: ## benchmark: 1,000,000 offerings from 2,000 providers through the import, then search at 1/8/32 clients, freshness and every process's memory (PROVIDERS=2000 COURSES=100)
	@SA_PROFILE=test PG_FSYNC=off bash -c 'source $(LOCAL)/env.sh && $(LOCAL)/infra.sh setup && \
	  trap "$(LOCAL)/infra.sh stop" EXIT && $(LOCAL)/infra.sh start && \
	  .venv/bin/python bench/scale.py --providers $${PROVIDERS:-2000} --courses $${COURSES:-100}'

bench: ## run every benchmark (about an hour on 2 cores) and write their summary to bench/results/summary.md and .json
	@rm -f .run/test/bench-figures.jsonl
	@set -e; for b in bench-import bench-search bench-intake bench-notify bench-analytics bench-pages bench-scale; do \
	  echo "==> make $$b"; $(MAKE) --no-print-directory $$b; done
	@.venv/bin/python bench/summary.py

bench-summary: ## write bench/results/summary.md and .json from the figures the benchmarks run since the last `make bench` recorded
	@.venv/bin/python bench/summary.py

bench-notify: ## benchmark: 10,000 events to confirmation mails vs a bare smtplib loop; 1,000 webhooks vs a bare HTTP loop
	@SA_PROFILE=test PG_FSYNC=off bash -c 'source $(LOCAL)/env.sh && $(LOCAL)/infra.sh setup && \
	  trap "$(LOCAL)/infra.sh stop" EXIT && $(LOCAL)/infra.sh start && \
	  .venv/bin/python bench/notify.py'
