"""Deploy stress: fresh local deploys and destroys in a row with the CPU saturated (``make deploy-stress``).

A flaky first deploy is the first thing a new user meets; it shows when the machine is busy. Each
cycle starts a local cloud of its own (free port, own state directory), runs ``make deploy`` and
``make destroy`` against it as a user would, and stops it; beside the cycles, one busy process per
core keeps the CPU saturated. A failed step keeps its Terraform debug log and the local cloud's log;
a passed one drops them. ``build/reports/deploy-stress.json`` gets every cycle's outcome and times.
"""
