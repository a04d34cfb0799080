# Events service: build, deploy and test. `make` alone lists the targets.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

ENV ?= local
# One Python everywhere: the Lambda runtime (python3.13), the virtualenvs, the build and the
# local cloud's workers. scripts/find_python.sh looks on PATH, in pyenv and in uv.
PYTHON_VERSION := 3.13
PYTHON ?= $(shell scripts/find_python.sh $(PYTHON_VERSION) 2>/dev/null)
VENV ?= .venv
PY := $(abspath $(VENV))/bin/python
BUILD := build
# Where an environment's state, outputs and local-cloud files live; `make test` uses its own.
STATE_DIR ?= $(BUILD)/$(ENV)
OUTPUTS := $(STATE_DIR)/outputs.json
LOCALCLOUD_PORT ?= 4566
# builtin: `make deploy ENV=local` starts the project's local cloud; external: an emulator
# (e.g. LocalStack) already listens on LOCALCLOUD_PORT.
LOCAL_CLOUD ?= builtin
SEED ?=
ENV_DIR := terraform/envs/$(ENV)
# The environments: every root under terraform/envs with its own tfvars (make new-env adds one).
ENVS := $(sort $(patsubst terraform/envs/%/terraform.tfvars,%,$(wildcard terraform/envs/*/terraform.tfvars)))
ZIP := $(BUILD)/lambda/deployment.zip

# Terraform takes the AWS provider from a filesystem mirror when one exists (offline
# machines, CI images) and from the registry otherwise.
TF_PLUGIN_DIR ?= $(firstword $(wildcard /opt/tf-plugins $(HOME)/.terraform.d/plugins))
TF_INIT_FLAGS := -input=false $(if $(TF_PLUGIN_DIR),-plugin-dir=$(TF_PLUGIN_DIR),)
# A TF_CLI_CONFIG_FILE that names a missing file only makes Terraform warn.
ifeq ($(wildcard $(TF_CLI_CONFIG_FILE)),)
unexport TF_CLI_CONFIG_FILE
endif
export TF_IN_AUTOMATION := 1

# The local cloud: dummy credentials, one endpoint for every service.
ifeq ($(ENV),local)
export AWS_ENDPOINT_URL := http://127.0.0.1:$(LOCALCLOUD_PORT)
export AWS_ACCESS_KEY_ID := test
export AWS_SECRET_ACCESS_KEY := test
export AWS_REGION := us-east-1
export AWS_DEFAULT_REGION := us-east-1
endif

# The local cloud's command (localcloud/, installed editable into the virtualenv).
LOCALCLOUD := $(abspath $(VENV))/bin/localcloud
# The project's tooling (tooling/, installed editable too): python -m tooling.<build|bench|cost|...>.
TOOLING := $(PY) -m tooling

# The step runs in a subshell: `set -e` ignores a failure inside an `a && b && c` chain, but not a
# subshell that exits non-zero, so a failed step stops the recipe instead of being reported done.
define timed
	@start=$$(date +%s); echo "==> $(1)"; ( $(2) ); echo "==> $(1): done in $$(( $$(date +%s) - start ))s"
endef

.PHONY: help
help:  ## List the targets
	@grep -hE '^[a-z][a-zA-Z0-9_-]*:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'
	@echo "  Variables: ENV=$(ENV) ($(subst $(eval) ,|,$(ENVS))), LOCALCLOUD_PORT=$(LOCALCLOUD_PORT)"

# -- set-up -----------------------------------------------------------------------------------------

# The stamp names the Python version, so a virtualenv of another version is rebuilt, not reused.
VENV_STAMP := $(VENV)/.installed-python$(PYTHON_VERSION)

.PHONY: require-python
require-python:
	@PYTHON="$(PYTHON)" scripts/find_python.sh $(PYTHON_VERSION) >/dev/null

# -- dependencies: locked with hashes, installed with hash checking -----------------------------------
#
# Inputs (edited by hand, exact pins): requirements/dev.txt (tools, with the app's
# chalice_app/requirements.txt and the two editable packages' dependencies), requirements/checkov.txt,
# chalice_app/requirements.txt (what ships in the Lambda zip; tooling.build installs it from its lock),
# requirements/build.txt (setuptools) and requirements/uv.txt (the locker). Beside each, a .lock that
# `make lock` writes and no one edits: every transitive dependency, pinned, with the sha256 of each of
# its files on PyPI. On a merge, take either side of a conflicted .lock and run `make lock` again: it
# keeps the versions already locked and resolves only what changed (UPGRADE=1: everything anew).
#
# The locker is uv, pinned and installed hash-checked from its own lock into a throwaway virtualenv.
# uv rather than pip-tools: `uv pip compile --universal` writes one lock for every platform (markers
# kept, the hashes of every file of each version) for Python $(PYTHON_VERSION) whatever interpreter
# runs it, so the same files serve this linux x86_64 machine and CI (ubuntu, x86_64), a developer's
# macOS, and the Lambda zip, whose wheels are fetched here for Lambda's arm64; pip-compile resolves
# for the platform and interpreter it runs on only.
LOCK_VENV := $(BUILD)/lock-venv
LOCKED := requirements/build requirements/dev requirements/checkov chalice_app/requirements requirements/uv
# The editable packages are this checkout: they are installed from their paths, never from a lock.
UV_COMPILE = $(LOCK_VENV)/bin/uv pip compile --quiet --universal --python-version $(PYTHON_VERSION) \
  --generate-hashes --custom-compile-command "make lock" \
  --no-emit-package localcloud --no-emit-package events-tooling $(if $(UPGRADE),--upgrade)

# An install from a lock into a virtualenv, after scripts/check_lock.py proved the lock current:
# every file checked against the lock's hashes (--require-hashes) and nothing resolved (--no-deps:
# the lock is the whole set). The build backend goes first, as a wheel; whatever the lock holds only
# as source is then built with it (--no-build-isolation), not with one pip would fetch unchecked.
# The recipe then runs `pip check`, which proves the set complete. $(call install_locked,<venv>,<lock>)
install_locked = $(1)/bin/python -m pip install -q --require-hashes --no-deps --only-binary=:all: -r requirements/build.lock && \
  $(1)/bin/python -m pip install -q --require-hashes --no-deps --no-build-isolation -r $(2)

# The repository's own packages, ./localcloud and ./tooling, come last and editable: hashes cannot
# apply to a local path (it is this checkout, not a download), so they go in with --no-deps (their
# dependencies are in the lock) and are built by the locked setuptools (--no-build-isolation).
$(VENV_STAMP): requirements/dev.txt requirements/dev.lock requirements/build.lock chalice_app/requirements.txt localcloud/pyproject.toml tooling/pyproject.toml | require-python
	@$(PYTHON) scripts/check_lock.py requirements/dev.txt requirements/dev.lock
	$(call timed,virtualenv $(VENV) (Python $(PYTHON_VERSION)),rm -rf $(VENV) && $(PYTHON) -m venv $(VENV) && \
	  $(call install_locked,$(VENV),requirements/dev.lock) && \
	  $(PY) -m pip install -q --no-deps --no-build-isolation -e ./localcloud -e ./tooling && $(PY) -m pip check)
	@touch $@

.PHONY: venv
venv: $(VENV_STAMP)  ## Create the virtualenv (Python 3.13) from the hash-checked lock

# The locker is installed from uv.lock (hash-checked, a wheel with no dependencies), then rewrites it
# with the rest.
.PHONY: lock
lock: require-python  ## Re-lock every requirements input (with hashes); UPGRADE=1 to take the newest
	rm -rf $(LOCK_VENV) && $(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install -q --require-hashes --no-deps --only-binary=:all: -r requirements/uv.lock
	@for name in $(LOCKED); do echo "==> $$name.lock"; $(UV_COMPILE) $$name.txt -o $$name.lock || exit 1; done

.PHONY: require-terraform
require-terraform:
	@command -v terraform >/dev/null || { echo "terraform >= 1.10 is needed: https://developer.hashicorp.com/terraform/install" >&2; exit 1; }

# -- build ------------------------------------------------------------------------------------------

.PHONY: contract
contract: venv  ## Render contracts/openapi.yaml into the JSON copy the Lambda zip ships
	@$(PY) scripts/sync_contract.py

.PHONY: build
build: contract  ## Package the Chalice app into build/lambda/deployment.zip (reproducible)
	@$(PYTHON) scripts/check_lock.py chalice_app/requirements.txt chalice_app/requirements.lock
	$(call timed,build,$(TOOLING).build --app chalice_app --out $(BUILD)/lambda)

# -- deploy -----------------------------------------------------------------------------------------

# When `up` starts a local cloud with no saved state (the first time, or after local-reset),
# Terraform's state file of an earlier one describes resources that no longer exist, so it goes.
.PHONY: local-up
local-up: venv  ## Start the local cloud on LOCALCLOUD_PORT (reuses a running one)
	@mkdir -p $(STATE_DIR)
	@out=$$($(LOCALCLOUD) up --port $(LOCALCLOUD_PORT) --state-dir $(STATE_DIR)); echo "$$out"; \
	 case "$$out" in *"started empty"*) rm -f $(STATE_DIR)/terraform.tfstate $(STATE_DIR)/terraform.tfstate.backup $(OUTPUTS);; esac

.PHONY: local-down
local-down: venv  ## Stop the local cloud; its state is saved and the next local-up brings it back
	@$(LOCALCLOUD) down --port $(LOCALCLOUD_PORT) --state-dir $(STATE_DIR)

.PHONY: local-reset
local-reset: venv  ## Stop the local cloud and forget its state: the next local-up (or deploy) starts empty
	@$(LOCALCLOUD) down --port $(LOCALCLOUD_PORT) --state-dir $(STATE_DIR)
	@rm -f $(STATE_DIR)/state.pickle $(STATE_DIR)/terraform.tfstate $(STATE_DIR)/terraform.tfstate.backup $(OUTPUTS)
	@echo "local cloud state removed from $(STATE_DIR): make deploy starts from scratch"

.PHONY: watch
watch: build require-outputs  ## Hot reload: on every save in chalice_app/ or contracts/, push the new code to every local function
	@$(TOOLING).watch --outputs $(OUTPUTS)

.PHONY: tick
tick: venv  ## Fire the local cloud's schedules now (runs the reconciler)
	@$(LOCALCLOUD) tick --port $(LOCALCLOUD_PORT) --state-dir $(STATE_DIR)

.PHONY: chaos-clear
chaos-clear: venv  ## Remove every fault-injection rule and effect of the local cloud
	@$(LOCALCLOUD) chaos clear --port $(LOCALCLOUD_PORT) --state-dir $(STATE_DIR)

# Each target that acts on ENV checks first that it exists, and each that reads its outputs that
# it is deployed, so a wrong name or a missing deploy is one line naming the fix.
.PHONY: require-env
require-env:
	@$(if $(filter $(ENV),$(ENVS)),true,{ echo "unknown ENV=$(ENV): one of $(ENVS); or create it: make new-env NAME=$(ENV)" >&2; exit 2; })

.PHONY: require-outputs
require-outputs: require-env
	@test -f $(OUTPUTS) || { echo "nothing deployed for ENV=$(ENV) ($(OUTPUTS) is missing): run make deploy ENV=$(ENV) first" >&2; exit 2; }

.PHONY: new-env
new-env: venv  ## Create an environment root from another: NAME=qa [FROM=staging]
	@test -n "$(NAME)" || { echo "name the environment: make new-env NAME=qa [FROM=staging]" >&2; exit 2; }
	@$(PY) scripts/new_env.py --name $(NAME) --from $(or $(FROM),staging)

.PHONY: tf-init
tf-init: require-env require-terraform
	@mkdir -p $(STATE_DIR)
	@if [ "$(ENV)" = local ]; then \
	  terraform -chdir=$(ENV_DIR) init $(TF_INIT_FLAGS) -reconfigure -backend-config=path=$(abspath $(STATE_DIR))/terraform.tfstate >/dev/null; \
	elif [ -f $(ENV_DIR)/backend.hcl ]; then \
	  terraform -chdir=$(ENV_DIR) init $(TF_INIT_FLAGS) -reconfigure -backend-config=backend.hcl >/dev/null; \
	else \
	  echo "$(ENV_DIR)/backend.hcl is missing: copy backend.hcl.example and name your state bucket" >&2; exit 1; \
	fi

export TF_DATA_DIR = $(abspath $(STATE_DIR))/.terraform

# The local cloud is started only for ENV=local with the builtin emulator.
CLOUD_UP := $(if $(filter local,$(ENV)),$(if $(filter builtin,$(LOCAL_CLOUD)),local-up))

.PHONY: plan
plan: require-env build $(CLOUD_UP) tf-init  ## Show what deploy would change in ENV
	terraform -chdir=$(ENV_DIR) plan -input=false

# Every environment but local is checked first against the real account (make preflight).
PREFLIGHT := $(if $(filter local,$(ENV)),,preflight)

# The caller's own credentials (boto3's default chain; for ENV=local the local cloud's endpoint,
# exported above); nothing is created or changed. Each check prints one line, with its fix when it fails.
.PHONY: preflight
preflight: require-env venv require-terraform  ## Check the account before a first apply, read-only: account, state bucket and key, API Gateway logging role, quotas, features
	@$(TOOLING).preflight --env $(ENV) --work-dir $(abspath $(STATE_DIR))/preflight $(if $(TF_PLUGIN_DIR),--plugin-dir $(TF_PLUGIN_DIR))

.PHONY: deploy
deploy: require-env $(PREFLIGHT) build $(CLOUD_UP) tf-init  ## Provision ENV (default local) and print its URLs; other envs pass make preflight first
	$(call timed,terraform apply ($(ENV)),terraform -chdir=$(ENV_DIR) apply -input=false -auto-approve)
	@$(PY) scripts/write_outputs.py --env-dir $(ENV_DIR) --out $(OUTPUTS)

.PHONY: plan-check
plan-check: require-env tf-init  ## Fail unless ENV's plan has nothing to change (drift; after a local-cloud restart)
	@terraform -chdir=$(ENV_DIR) plan -input=false -detailed-exitcode -no-color > $(STATE_DIR)/plan-check.log 2>&1 \
	  && echo "ENV=$(ENV): no changes" \
	  || { echo "ENV=$(ENV): the plan is not empty (or failed): $(STATE_DIR)/plan-check.log" >&2; exit 1; }

.PHONY: destroy
destroy: require-env $(CLOUD_UP) tf-init  ## Destroy everything ENV provisioned
	$(call timed,terraform destroy ($(ENV)),terraform -chdir=$(ENV_DIR) destroy -input=false -auto-approve)
	@rm -f $(OUTPUTS)

# -- operations (any environment: they read build/<env>/outputs.json) ---------------------------------

OPS := $(TOOLING).ops --outputs $(OUTPUTS)

.PHONY: redrive
redrive: venv require-outputs  ## Move a dead-letter queue's messages back to their source: QUEUE=<name or URL> [TO_FUNCTION=<name>]
	@test -n "$(QUEUE)" || { echo "name the dead-letter queue: make redrive QUEUE=<name or URL> ENV=$(ENV)" >&2; exit 2; }
	@$(OPS) redrive $(QUEUE) $(if $(TO_FUNCTION),--to-function $(TO_FUNCTION))

.PHONY: replay-failures
replay-failures: venv require-outputs  ## Re-drive from the table what the stream mappings gave up on (the stream failure queue)
	@$(OPS) replay-failures

.PHONY: logs
logs: venv require-outputs  ## The functions' logs in time order, the function on each line: [FN=name] [SINCE=10m] [FOLLOW=1]
	@$(OPS) logs $(if $(FN),--function $(FN)) --since $(or $(SINCE),10m) $(if $(FOLLOW),--follow)

.PHONY: trace
trace: venv require-outputs  ## One event through every hop with times and its log lines, and where it stopped: EVENT=<id>
	@test -n "$(EVENT)" || { echo "name the event: make trace EVENT=<id> ENV=$(ENV)" >&2; exit 2; }
	@$(OPS) trace $(EVENT)

.PHONY: status
status: venv require-outputs  ## Functions, queues, DLQs, mappings, alarms, reconciler; exit 1 when a DLQ holds messages or an alarm fires
	@$(OPS) status $(if $(WINDOW),--window $(WINDOW))

# -- tests ------------------------------------------------------------------------------------------

PYTHON_SOURCES := chalice_app scripts tests integration_tests localcloud/src localcloud/tests tooling/src tooling/tests

.PHONY: lint
lint: venv  ## ruff, mypy and the contract checks
	$(PY) -m ruff check $(PYTHON_SOURCES)
	$(PY) -m ruff format --check $(PYTHON_SOURCES)
	$(PY) -m mypy $(PYTHON_SOURCES)
	$(PY) -m openapi_spec_validator contracts/openapi.yaml
	$(PY) scripts/sync_contract.py --check

PROPERTY_TESTS := tests/unit/test_delivery_properties.py

.PHONY: unit-test
unit-test: venv  ## Unit tests: app, handlers, the service's zip, local cloud, tooling (no deploy; the property tests are apart)
	$(PY) -m pytest tests/unit tests/contract tests/build localcloud/tests tooling/tests -q \
	  --ignore=$(PROPERTY_TESTS)

.PHONY: property-test
property-test: venv  ## Hypothesis: each consumer under duplicates, reorders, drops, replays, transient errors
	$(PY) -m pytest $(PROPERTY_TESTS) -q

# -- Terraform checks (offline: the provider mirror or registry, no cloud) ---------------------------

TF_ENVS := $(ENVS)
TF_MODULES := network data messaging streaming functions api auth waf observability stack
TF_CHECK_DIR := $(abspath $(BUILD))/terraform
CHECKOV_VENV := .venv-checkov

CHECKOV_STAMP := $(CHECKOV_VENV)/.installed-python$(PYTHON_VERSION)

$(CHECKOV_STAMP): requirements/checkov.txt requirements/checkov.lock requirements/build.lock | require-python
	@$(PYTHON) scripts/check_lock.py requirements/checkov.txt requirements/checkov.lock
	$(call timed,checkov virtualenv,rm -rf $(CHECKOV_VENV) && $(PYTHON) -m venv $(CHECKOV_VENV) && \
	  $(call install_locked,$(CHECKOV_VENV),requirements/checkov.lock) && $(CHECKOV_VENV)/bin/python -m pip check)
	@touch $@

.PHONY: tf-static
tf-static: require-terraform $(CHECKOV_STAMP)  ## terraform fmt and validate in every root, checkov, iam-lint
	terraform fmt -check -recursive terraform
	@for env in $(TF_ENVS); do \
	  TF_DATA_DIR=$(TF_CHECK_DIR)/envs/$$env terraform -chdir=terraform/envs/$$env init -backend=false $(TF_INIT_FLAGS) >/dev/null && \
	  TF_DATA_DIR=$(TF_CHECK_DIR)/envs/$$env terraform -chdir=terraform/envs/$$env validate -no-color | sed "s|^|$$env: |" || exit 1; \
	done
	$(CHECKOV_VENV)/bin/checkov -d terraform --config-file terraform/.checkov.yaml
	@$(MAKE) iam-lint

# parliament over every IAM policy document of the local root, planned with the AWS provider mocked
# (no cloud); findings are justified in tooling/src/tooling/iamlint/allowed.yaml or fail.
.PHONY: iam-lint
iam-lint: venv require-terraform  ## parliament over every IAM policy the local root renders (provider mocked)
	$(TOOLING).iamlint --work-dir $(TF_CHECK_DIR)/iamlint $(if $(TF_PLUGIN_DIR),--plugin-dir $(TF_PLUGIN_DIR))

.PHONY: tf-unit
tf-unit: require-terraform  ## terraform test (mock_provider, no cloud) in every module, two at a time
	@printf '%s\n' $(TF_MODULES) | xargs -P 2 -I{} sh -c '\
	  export TF_DATA_DIR=$(TF_CHECK_DIR)/modules/{}; \
	  terraform -chdir=terraform/modules/{} init -backend=false $(TF_INIT_FLAGS) >/dev/null && \
	  terraform -chdir=terraform/modules/{} test -no-color > $(TF_CHECK_DIR)/{}.test.log 2>&1 \
	    && echo "{}: $$(tail -n 1 $(TF_CHECK_DIR)/{}.test.log)" \
	    || { cat $(TF_CHECK_DIR)/{}.test.log; exit 1; }'

.PHONY: tf-apply-test
tf-apply-test: build  ## Apply the local root to moto, re-plan, check, destroy; the alarm move; roots vs stack
	$(PY) -m pytest tests/terraform -q

.PHONY: tf-test
tf-test: tf-static tf-unit tf-apply-test  ## All Terraform checks

.PHONY: integration-test
integration-test: venv require-outputs  ## End-to-end tests against the deployed ENV (reads build/<env>/outputs.json)
	@mkdir -p $(BUILD)/reports
	OUTPUTS_FILE=$(abspath $(OUTPUTS)) $(PY) -m pytest integration_tests -q --junitxml=$(BUILD)/reports/integration-$(ENV).xml

.PHONY: contract-test
contract-test: venv require-outputs  ## Schemathesis against both gateways of ENV (SEED=n to vary)
	$(TOOLING).contract --outputs $(OUTPUTS) --reports $(BUILD)/reports/contract-$(ENV) $(if $(SEED),--seed $(SEED))

# A seeded load with faults (tooling.chaos): both gateways, client retries, fault windows through the
# local cloud's (LocalStack-compatible) fault API, a poison message; then every delivery invariant is
# checked from the table and the API. Report and figure in build/reports/$(CHAOS_NAME).{json,png}.
# With ENV=local and no local cloud or outputs.json, it deploys first. FAULTS=0: load only (the
# throughput figure; against the built-in local cloud the report also says how much CPU the server,
# each function and the client spent per settled event, and what rate the cores could carry at that
# cost); PROFILE=1: py-spy on the local cloud during the run; CHAOS_FLAGS: more options
# (.venv/bin/python -m tooling.chaos --help).
EVENTS ?= 2000
CONCURRENCY ?= 8
FAULTS ?= 1
CHAOS_NAME ?= chaos
CHAOS_FLAGS ?=
.PHONY: chaos
chaos: venv  ## Seeded load and faults against ENV, delivery invariants checked (SEED= EVENTS= CONCURRENCY= FAULTS=0)
	@if [ "$(ENV)" = local ] && [ "$(LOCAL_CLOUD)" = builtin ] && { [ ! -f $(OUTPUTS) ] || \
	  ! $(LOCALCLOUD) status --port $(LOCALCLOUD_PORT) --state-dir $(STATE_DIR) >/dev/null 2>&1; }; then \
	  echo "==> nothing deployed in $(STATE_DIR): make deploy first"; $(MAKE) deploy; fi
	$(TOOLING).chaos --outputs $(OUTPUTS) --report-dir $(BUILD)/reports --name $(CHAOS_NAME) \
	  --seed $(or $(SEED),1) --events $(EVENTS) --concurrency $(CONCURRENCY) $(if $(filter 0,$(FAULTS)),--no-faults) \
	  $(if $(PROFILE),--profile $(STATE_DIR)/localcloud.pid) \
	  $(if $(and $(filter local,$(ENV)),$(filter builtin,$(LOCAL_CLOUD))),--cpu-of $(STATE_DIR)/localcloud.pid) $(CHAOS_FLAGS)

# A fresh local deployment on a free port with its own state, tested, then thrown away
# with its local cloud (all in memory): it never touches a stack deployed with
# `make deploy`. Destroy is tested by tf-apply-test, which runs beside it.
E2E_DIR := $(BUILD)/e2e
# The chaos run of `make test`: the same kinds of faults in short windows, on fewer events.
E2E_CHAOS := EVENTS=300 CHAOS_NAME=chaos-e2e CHAOS_FLAGS="--window-seconds 3 --settle-seconds 300"
.PHONY: e2e-local
e2e-local: build  ## Deploy a throwaway local stack; integration tests (a restart among them), a no-change plan, contract tests, a short chaos run
	@port=$$($(LOCALCLOUD) free-port); \
	 vars="ENV=local STATE_DIR=$(E2E_DIR) LOCALCLOUD_PORT=$$port LOCAL_CLOUD=builtin"; \
	 rm -rf $(E2E_DIR); \
	 trap '$(MAKE) local-down $$vars' EXIT; \
	 $(MAKE) deploy $$vars && SETTLE_SECONDS=60 $(MAKE) integration-test $$vars && \
	 $(MAKE) plan-check $$vars && $(MAKE) contract-test $$vars && \
	 $(MAKE) chaos $$vars $(E2E_CHAOS)

# Fresh local deploys and destroys in a row, each on a local cloud of its own, with one spinning
# process per core beside them (tooling.stress): a flake a new user would meet shows here first.
RUNS ?= 20
.PHONY: deploy-stress
deploy-stress: build  ## RUNS (default 20) fresh local deploy+destroy cycles with the CPU saturated; report in build/reports
	$(TOOLING).stress --runs $(RUNS)

.PHONY: test
test: venv  ## Everything CI runs
	@# Two cores: the static checks and the fast tests two at a time; then the two deployments,
	@# which mostly wait on the AWS provider's fixed delays, beside the CPU-bound property tests.
	$(MAKE) -j2 --output-sync=target lint unit-test tf-static tf-unit
	$(MAKE) -j3 --output-sync=target tf-apply-test e2e-local property-test
	@echo "make test: all checks passed"

.PHONY: bench
bench: build  ## Measure zip, imports, request cost and the local cloud; writes build/bench/results.json
	$(TOOLING).bench --out $(BUILD)/bench/results.json

# The cost model reads the bench's handler figures (make bench) and each environment's settings from
# its Terraform `sizing` output (terraform console, offline). Without ENV on the command line: dev and prod.
COST_ENVS = $(if $(filter file,$(origin ENV)),dev prod,$(ENV))

.PHONY: cost
cost: venv  ## Cost per million events and capacity on paper (ENV=..., default dev and prod); needs `make bench`
	@$(TOOLING).cost $(addprefix --env ,$(COST_ENVS)) --results $(BUILD)/bench/results.json \
	  --out-dir $(BUILD)/reports $(if $(TF_PLUGIN_DIR),--plugin-dir $(TF_PLUGIN_DIR))

.PHONY: docs
docs: venv  ## Regenerate the Terraform modules' README tables and docs/architecture.svg from their code
	@$(TOOLING).docs --write

.PHONY: clean
clean:  ## Remove build output (not the virtualenv)
	rm -rf $(BUILD)
