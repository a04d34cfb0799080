"""The settings preflight asks Terraform for, and the backend config it reads."""

from __future__ import annotations

from pathlib import Path

from tooling.preflight.settings import EnvSettings, read_backend


def test_the_local_root_allows_any_account_and_keeps_its_state_in_a_file(local_settings: EnvSettings) -> None:
    assert local_settings.allowed_account_ids_set
    assert local_settings.allowed_account_ids is None
    assert local_settings.backend is None
    assert local_settings.region == "us-east-1"
    assert local_settings.sizing.environment == "local"


def test_dev_takes_its_accounts_from_tf_var_and_leaves_the_logging_role_alone(dev_settings: EnvSettings) -> None:
    assert dev_settings.allowed_account_ids == ("123456789012",)
    assert not dev_settings.manage_api_gateway_account
    assert dev_settings.lambda_concurrency_quota == 1000
    assert not dev_settings.lambda_concurrency_quota_set
    assert dev_settings.reserved_concurrency == 0


def test_the_backend_config_names_bucket_region_and_key(tmp_path: Path) -> None:
    config = tmp_path / "backend.hcl"
    config.write_text('bucket = "b"\nkey = "k"\nregion = "eu-west-1"\nencrypt = true\nkms_key_id = "arn:k"\n')
    backend = read_backend(config)
    assert (backend.bucket, backend.region, backend.kms_key_id, backend.present) == ("b", "eu-west-1", "arn:k", True)
