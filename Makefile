# SeHealthChain front door. Every target first installs what this machine lacks (and does nothing
# for what is already there): Debian packages, then the Python virtual environment in .venv.
SHELL := /bin/bash
SWIFT ?= swift
SETUP := Tools/scripts/setup.sh

.PHONY: all setup run test test-swift test-python generate check-generated bench format lint clean

all: test

setup:
	@$(SETUP) apt venv

## The main job: a local network of nodes with a demo workload, on the embedded defaults.
run: setup
	@Tools/scripts/run.sh

## Every test: Swift (all test targets) and Python (Interop/).
test: setup
	@Tools/scripts/test.sh

## Regenerate every generated file (protoc-c C, Swift messages and stubs, vectors) from Proto/ and
## Interop/Proto/.
generate: setup
	@Tools/scripts/generate.sh

## Benchmarks, each next to its anchor measured in the same run.
bench: setup
	@Tools/scripts/bench.sh

format:
	@$(SWIFT) format --in-place --recursive --parallel Package.swift Sources Tests Tools Interop

lint:
	@$(SWIFT) format lint --strict --recursive --parallel Package.swift Sources Tests Tools Interop

clean:
	rm -rf .build .venv
