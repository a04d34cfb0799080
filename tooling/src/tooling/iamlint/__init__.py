"""Lint every IAM policy document the stack renders with parliament, offline.

``make iam-lint`` (part of ``make tf-static``) runs ``python -m tooling.iamlint``:

1. ``render`` plans the local root with the AWS provider mocked: ``terraform test -json -verbose`` on a
   copy of ``terraform/envs/local`` whose one run is a plan against ``terraform/tests/mocks``. A real
   plan of a new stack cannot show most documents (a queue policy names the queue's ARN, known only
   after the apply); the mock makes every computed value known, so the plan holds every document the
   stack writes, built by the stack's own code, with the mock's stand-in ARNs. The plan is the format
   ``terraform show -json`` prints, so ``--plan`` lints any such file instead (a real plan, where a
   document still unknown is itself a finding, ``UNRENDERED``).
2. ``extract`` finds the documents in the plan: every string attribute of a planned resource that is
   JSON with a ``Statement`` (role, trust and inline policies, key, queue, topic, endpoint and bucket
   policies, whatever the stack has), and every managed policy a role attaches.
3. ``lint`` runs parliament (with its community auditors) over each document and reports an AWS
   managed policy attached to a role as ``AWS_MANAGED_POLICY`` (AWSLambdaBasicExecutionRole and
   AWSLambdaVPCAccessExecutionRole, for one, write logs to every log group). A finding fails the run
   unless ``allowed.yaml`` beside this file justifies it: each entry names the policy, the finding,
   optionally the statement (its Sid), and the reason. An entry that justifies nothing fails the run
   too, so the list cannot outlive what it excuses.
"""
