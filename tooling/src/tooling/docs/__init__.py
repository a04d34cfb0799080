"""``make docs``: the generated parts of the repository's documentation (``python -m tooling.docs``).

``terraform_readmes`` renders each Terraform module's inputs and outputs tables from its code;
tests/terraform/test_module_docs.py fails when a README's tables are stale. ``architecture`` draws
docs/architecture.svg from the Terraform configuration (read by ``hcl``, evaluated without a
provider by ``evaluate``) and the contract; tooling/tests/docs/test_architecture.py fails when it is
stale.
"""
