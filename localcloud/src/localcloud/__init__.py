"""A local AWS cloud for serverless stacks: moto's server plus a Lambda executor,
event source pollers, schedules, an API Gateway data plane and fault injection,
on one local port. ``localcloud --help`` lists the commands; README.md the design.

Importing the package (or any module of it) sets no environment variable and
starts nothing.
"""

__version__ = "0.1.0"
