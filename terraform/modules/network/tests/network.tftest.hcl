# Plan-only tests of the network module with a mocked AWS provider.

mock_provider "aws" {
  override_during = plan
  source          = "../../tests/mocks"
}

variables {
  name        = "events-test"
  kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
}

run "private_subnets_in_two_zones" {
  command = plan

  assert {
    condition     = length(aws_subnet.private) == 2 && length(distinct(aws_subnet.private[*].availability_zone)) == 2
    error_message = "Two private subnets in two different zones by default."
  }

  assert {
    condition     = alltrue([for s in aws_subnet.private : !s.map_public_ip_on_launch])
    error_message = "No subnet may hand out public addresses."
  }

  assert {
    condition     = aws_subnet.private[0].cidr_block == "10.20.0.0/20" && aws_subnet.private[1].cidr_block == "10.20.16.0/20"
    error_message = "Subnets are carved from the VPC CIDR in order."
  }

  assert {
    condition     = aws_vpc.this.enable_dns_support && aws_vpc.this.enable_dns_hostnames
    error_message = "Private DNS of the interface endpoints needs DNS support and hostnames."
  }
}

run "explicit_zones_win" {
  command = plan

  variables {
    availability_zones = ["us-east-1b", "us-east-1c"]
  }

  assert {
    condition     = length(aws_subnet.private) == 2
    error_message = "One subnet per given zone."
  }
}

run "endpoints_for_every_service_the_functions_call" {
  command = plan

  assert {
    condition     = aws_vpc_endpoint.dynamodb.vpc_endpoint_type == "Gateway" && aws_vpc_endpoint.dynamodb.service_name == "com.amazonaws.us-east-1.dynamodb"
    error_message = "DynamoDB is reached through a gateway endpoint."
  }

  assert {
    condition     = toset(keys(aws_vpc_endpoint.interface)) == toset(["sns", "sqs", "kinesis-streams"])
    error_message = "SNS, SQS and Kinesis are reached through interface endpoints."
  }

  assert {
    condition     = alltrue([for k, e in aws_vpc_endpoint.interface : e.vpc_endpoint_type == "Interface" && e.private_dns_enabled && e.service_name == "com.amazonaws.us-east-1.${k}"])
    error_message = "Interface endpoints must have private DNS."
  }

  assert {
    condition = alltrue([
      for k, e in merge(aws_vpc_endpoint.interface, { dynamodb = aws_vpc_endpoint.dynamodb }) :
      jsondecode(e.policy).Statement[0].Condition.StringEquals["aws:PrincipalAccount"] == "123456789012"
    ])
    error_message = "Endpoint policies must keep traffic to this account."
  }
}

run "security_groups_allow_only_https_to_the_endpoints" {
  command = plan

  assert {
    condition = alltrue([
      for r in [aws_vpc_security_group_egress_rule.lambda_to_endpoints, aws_vpc_security_group_egress_rule.lambda_to_dynamodb, aws_vpc_security_group_ingress_rule.endpoints_from_lambda] :
      r.ip_protocol == "tcp" && r.from_port == 443 && r.to_port == 443 && r.cidr_ipv4 == null
    ])
    error_message = "Only HTTPS between the functions and the endpoints; no CIDR-wide rules."
  }

  assert {
    condition     = aws_vpc_security_group_egress_rule.lambda_to_dynamodb.prefix_list_id == aws_vpc_endpoint.dynamodb.prefix_list_id
    error_message = "DynamoDB egress must be limited to the DynamoDB prefix list."
  }
}

run "flow_logs_are_encrypted" {
  command = plan

  assert {
    condition     = aws_flow_log.this[0].traffic_type == "ALL" && aws_cloudwatch_log_group.flow_logs[0].kms_key_id == var.kms_key_arn
    error_message = "All traffic is logged to an encrypted log group."
  }

  assert {
    condition     = alltrue([for a in jsondecode(aws_iam_role_policy.flow_logs[0].policy).Statement[0].Action : a != "*" && !endswith(a, ":*")])
    error_message = "The flow-log role names its actions."
  }
}

run "the_flow_log_role_gets_the_permissions_boundary" {
  command = plan

  variables {
    role_permissions_boundary = "arn:aws:iam::123456789012:policy/landing-zone/workload-boundary"
  }

  assert {
    condition     = aws_iam_role.flow_logs[0].permissions_boundary == var.role_permissions_boundary
    error_message = "The flow-log role must carry the permissions boundary."
  }

  assert {
    condition     = output.role_permissions_boundaries == { "events-test-vpc-flow-logs" = var.role_permissions_boundary }
    error_message = "role_permissions_boundaries must report the flow-log role's boundary."
  }
}

run "no_permissions_boundary_by_default" {
  command = plan

  assert {
    condition     = aws_iam_role.flow_logs[0].permissions_boundary == null
    error_message = "Without role_permissions_boundary the flow-log role has no boundary."
  }
}

run "a_permissions_boundary_that_is_not_a_policy_arn_is_refused" {
  command = plan

  variables {
    role_permissions_boundary = "workload-boundary"
  }

  expect_failures = [var.role_permissions_boundary]
}

run "az_count_is_validated" {
  command = plan

  variables {
    az_count = 1
  }

  expect_failures = [var.az_count]
}

run "vpc_cidr_is_validated" {
  command = plan

  variables {
    vpc_cidr = "10.0.0.0/8"
  }

  expect_failures = [var.vpc_cidr]
}
