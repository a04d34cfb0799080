data "aws_region" "current" {}

# A closed allow-list of zone names (never "whatever the region has today"):
# the ones given, or the region's standard zones a to f. Local and Wavelength
# zones never match.
data "aws_availability_zones" "available" {
  state = "available"

  filter {
    name   = "zone-name"
    values = length(var.availability_zones) > 0 ? var.availability_zones : [for letter in ["a", "b", "c", "d", "e", "f"] : "${data.aws_region.current.id}${letter}"]
  }
}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  # `id` is the region name on provider 5.x and 6.x (`name` is deprecated in 6.x).
  region     = data.aws_region.current.id
  account_id = data.aws_caller_identity.current.account_id
  az_count   = length(var.availability_zones) > 0 ? length(var.availability_zones) : var.az_count
  azs        = slice(sort(data.aws_availability_zones.available.names), 0, local.az_count)
}

################################################################################
# VPC
################################################################################

resource "aws_vpc" "this" {
  cidr_block = var.vpc_cidr

  # Private DNS of the interface endpoints needs both.
  enable_dns_support   = true
  enable_dns_hostnames = true

  tags = merge(var.tags, { Name = var.name })
}

# Take over the default security group and leave it without rules, so nothing
# that lands in it by accident can talk to anything.
resource "aws_default_security_group" "this" {
  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}-default-deny" })
}

################################################################################
# Private subnets (no internet gateway, no NAT)
################################################################################

resource "aws_subnet" "private" {
  count = local.az_count

  vpc_id                  = aws_vpc.this.id
  availability_zone       = local.azs[count.index]
  cidr_block              = cidrsubnet(var.vpc_cidr, var.subnet_newbits, count.index)
  map_public_ip_on_launch = false

  tags = merge(var.tags, {
    Name = "${var.name}-private-${local.azs[count.index]}"
    Tier = "private"
  })
}

resource "aws_route_table" "private" {
  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}-private" })
}

resource "aws_route_table_association" "private" {
  count = local.az_count

  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private.id
}

################################################################################
# Security groups
################################################################################

resource "aws_security_group" "lambda" {
  #checkov:skip=CKV2_AWS_5:Attached to every function by module.functions (vpc_config) through a module output, which checkov's graph does not follow
  name        = "${var.name}-lambda"
  description = "Lambda functions: HTTPS out to the VPC endpoints only"
  vpc_id      = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}-lambda" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_security_group" "endpoints" {
  name        = "${var.name}-endpoints"
  description = "Interface VPC endpoints: HTTPS in from the Lambda functions only"
  vpc_id      = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}-endpoints" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_egress_rule" "lambda_to_endpoints" {
  security_group_id            = aws_security_group.lambda.id
  description                  = var.rule_descriptions_enabled ? "HTTPS to the interface endpoints (SNS, SQS, Kinesis)" : null
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = aws_security_group.endpoints.id

  tags = var.tags
}

resource "aws_vpc_security_group_egress_rule" "lambda_to_dynamodb" {
  security_group_id = aws_security_group.lambda.id
  description       = var.rule_descriptions_enabled ? "HTTPS to DynamoDB through the gateway endpoint" : null
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  prefix_list_id    = aws_vpc_endpoint.dynamodb.prefix_list_id

  tags = var.tags
}

resource "aws_vpc_security_group_ingress_rule" "endpoints_from_lambda" {
  security_group_id            = aws_security_group.endpoints.id
  description                  = var.rule_descriptions_enabled ? "HTTPS from the Lambda functions" : null
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = aws_security_group.lambda.id

  tags = var.tags
}

################################################################################
# VPC endpoints
################################################################################

locals {
  # Each endpoint lets only principals of this account reach resources of this
  # account: a stolen credential from elsewhere cannot use it to move data out.
  endpoint_policies = {
    for service, prefix in merge(var.interface_endpoint_services, { dynamodb = "dynamodb" }) : service => jsonencode({
      Version                                                                = "2012-10-17"
      Statement = [{
        Sid       = "ThisAccountOnly"
        Effect    = "Allow"
        Principal = "*"
        Action    = "${prefix}:*"
        Resource  = "*"
        Condition = {
          StringEquals = {
            "aws:PrincipalAccount" = local.account_id
            "aws:ResourceAccount"  = local.account_id
          }
        }
      }]
    })
  }
}

resource "aws_vpc_endpoint" "dynamodb" {
  vpc_id            = aws_vpc.this.id
  service_name      = "com.amazonaws.${local.region}.dynamodb"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = [aws_route_table.private.id]
  policy            = local.endpoint_policies["dynamodb"]

  tags = merge(var.tags, { Name = "${var.name}-dynamodb" })
}

resource "aws_vpc_endpoint" "interface" {
  for_each = var.interface_endpoint_services

  vpc_id              = aws_vpc.this.id
  service_name        = "com.amazonaws.${local.region}.${each.key}"
  vpc_endpoint_type   = "Interface"
  private_dns_enabled = true
  subnet_ids          = aws_subnet.private[*].id
  security_group_ids  = [aws_security_group.endpoints.id]
  policy              = local.endpoint_policies[each.key]

  tags = merge(var.tags, { Name = "${var.name}-${each.key}" })
}

################################################################################
# Flow logs
################################################################################

resource "aws_cloudwatch_log_group" "flow_logs" {
  #checkov:skip=CKV_AWS_338:Retention is each environment's choice (log_retention_in_days): the module default and prod keep 365 days; local, dev and staging keep 7, 30 and 90 to limit cost
  count = var.flow_logs_enabled ? 1 : 0

  name              = "/vpc/${var.name}/flow-logs"
  retention_in_days = var.log_retention_in_days
  kms_key_id        = var.kms_key_arn

  tags = var.tags
}

resource "aws_iam_role" "flow_logs" {
  count = var.flow_logs_enabled ? 1 : 0

  name                 = "${var.name}-vpc-flow-logs"
  permissions_boundary = var.role_permissions_boundary
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "vpc-flow-logs.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = {
        StringEquals = { "aws:SourceAccount" = local.account_id }
        ArnLike      = { "aws:SourceArn" = "arn:${data.aws_partition.current.partition}:ec2:${local.region}:${local.account_id}:vpc-flow-log/*" }
      }
    }]
  })

  tags = var.tags
}

resource "aws_iam_role_policy" "flow_logs" {
  count = var.flow_logs_enabled ? 1 : 0

  name = "write-flow-logs"
  role = aws_iam_role.flow_logs[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid    = "WriteFlowLogs"
      Effect = "Allow"
      Action = [
        "logs:CreateLogStream",
        "logs:DescribeLogStreams",
        "logs:PutLogEvents",
      ]
      Resource = [
        aws_cloudwatch_log_group.flow_logs[0].arn,
        "${aws_cloudwatch_log_group.flow_logs[0].arn}:*",
      ]
    }]
  })
}

resource "aws_flow_log" "this" {
  count = var.flow_logs_enabled ? 1 : 0

  vpc_id                   = aws_vpc.this.id
  traffic_type             = "ALL"
  log_destination_type     = "cloud-watch-logs"
  log_destination          = aws_cloudwatch_log_group.flow_logs[0].arn
  iam_role_arn             = aws_iam_role.flow_logs[0].arn
  max_aggregation_interval = 60

  tags = merge(var.tags, { Name = "${var.name}-flow-logs" })
}
