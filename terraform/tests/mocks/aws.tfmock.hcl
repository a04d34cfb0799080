# Realistic computed values for `terraform test` runs with a mocked AWS
# provider. Used by every module's tests through
#   mock_provider "aws" { override_during = plan  source = "../../tests/mocks" }
# All instances of a resource type get the same value; that is enough for
# assertions about wiring and for parsing policies and ARNs.

mock_data "aws_caller_identity" {
  defaults = { account_id = "123456789012" }
}

mock_data "aws_partition" {
  defaults = { partition = "aws", dns_suffix = "amazonaws.com" }
}

mock_data "aws_region" {
  defaults = { id = "us-east-1", name = "us-east-1" }
}

mock_data "aws_availability_zones" {
  defaults = { names = ["us-east-1a", "us-east-1b", "us-east-1c"] }
}

mock_resource "aws_vpc" {
  defaults = { id = "vpc-0123456789abcdef0" }
}

mock_resource "aws_subnet" {
  defaults = { id = "subnet-0123456789abcdef0" }
}

mock_resource "aws_security_group" {
  defaults = { id = "sg-0123456789abcdef0" }
}

mock_resource "aws_vpc_endpoint" {
  defaults = { id = "vpce-0123456789abcdef0", prefix_list_id = "pl-02cd2c6b" }
}

mock_resource "aws_cloudwatch_log_group" {
  defaults = { arn = "arn:aws:logs:us-east-1:123456789012:log-group:/events-test" }
}

mock_resource "aws_iam_role" {
  defaults = { arn = "arn:aws:iam::123456789012:role/events-test" }
}

mock_resource "aws_kms_key" {
  defaults = { arn = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555" }
}

mock_resource "aws_sqs_queue" {
  defaults = {
    arn = "arn:aws:sqs:us-east-1:123456789012:events-test-queue"
    url = "https://sqs.us-east-1.amazonaws.com/123456789012/events-test-queue"
  }
}

mock_resource "aws_sns_topic" {
  defaults = { arn = "arn:aws:sns:us-east-1:123456789012:events-test-topic" }
}

mock_resource "aws_dynamodb_table" {
  defaults = {
    arn        = "arn:aws:dynamodb:us-east-1:123456789012:table/events-test-events"
    stream_arn = "arn:aws:dynamodb:us-east-1:123456789012:table/events-test-events/stream/2026-01-01T00:00:00.000"
  }
}

mock_resource "aws_kinesis_stream" {
  defaults = { arn = "arn:aws:kinesis:us-east-1:123456789012:stream/events-test-events" }
}

mock_resource "aws_lambda_function" {
  defaults = {
    arn        = "arn:aws:lambda:us-east-1:123456789012:function:events-test-api"
    invoke_arn = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:events-test-api/invocations"
  }
}

mock_resource "aws_api_gateway_rest_api" {
  defaults = {
    id            = "a1b2c3d4e5"
    execution_arn = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5"
  }
}

mock_resource "aws_api_gateway_stage" {
  defaults = {
    arn        = "arn:aws:apigateway:us-east-1::/restapis/a1b2c3d4e5/stages/api"
    invoke_url = "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/api"
  }
}

mock_resource "aws_cloudwatch_event_rule" {
  defaults = { arn = "arn:aws:events:us-east-1:123456789012:rule/events-test-reconciler" }
}

mock_resource "aws_lambda_alias" {
  defaults = {
    arn        = "arn:aws:lambda:us-east-1:123456789012:function:events-test-api:live"
    invoke_arn = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:events-test-api:live/invocations"
  }
}

mock_resource "aws_cognito_user_pool" {
  defaults = {
    id  = "us-east-1_AbCdEf123"
    arn = "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbCdEf123"
  }
}

mock_resource "aws_cognito_user_pool_client" {
  defaults = { id = "1example23456789abcdefghij" }
}

mock_resource "aws_wafv2_web_acl" {
  defaults = {
    arn = "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/events-test/11111111-2222-3333-4444-555555555555"
    id  = "11111111-2222-3333-4444-555555555555"
  }
}
