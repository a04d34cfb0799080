"""Local cloud: moto's server plus a Lambda executor, AWS-like event source
pollers, schedules and an API Gateway data plane, on one local port.

MOTO_IAM_LOAD_MANAGED_POLICIES is set here, on the package's import, so it is in
place before moto builds its IAM backend (moto reads it then): Terraform attaches
AWS managed policies (AWSLambdaBasicExecutionRole, ...) by ARN and needs them.
"""

import os

os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
