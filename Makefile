# The two commands of the README are `make up` and `make test`.
.PHONY: up test setup start stop restart status migrate seed lint bench unit integration e2e faults

VENV := .venv/bin
TEST := $(VENV)/nameko test -p no:cacheprovider

up: setup start seed  ## install what is missing, prepare databases, run every service, load demo tenants
	@$(MAKE) --no-print-directory status

test:  ## the whole test suite against real RabbitMQ and PostgreSQL
	$(TEST) tests -q

setup:
	deploy/setup.sh

start:
	deploy/services.sh start

stop:
	deploy/services.sh stop

restart:
	deploy/services.sh restart

status:
	deploy/services.sh status

migrate:
	$(VENV)/gongjian migrate

seed:
	$(VENV)/gongjian seed

lint:
	$(VENV)/ruff check shared services cli tests bench

bench:
	$(VENV)/python -m bench

unit:
	$(TEST) tests/unit -q

integration:
	$(TEST) tests/integration -q

e2e:
	$(TEST) tests/e2e -q

faults:
	$(TEST) tests/faults -q
