"""``make docs``: the generated parts of the repository's documentation (``python -m tooling.docs``).

``terraform_readmes`` renders each Terraform module's inputs and outputs tables from its code;
tests/terraform/test_module_docs.py fails when a README's tables are stale.
"""
