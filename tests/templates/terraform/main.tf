terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
}

data "archive_file" "worker" {
  type        = "zip"
  source_dir  = "${path.module}/src"
  output_path = "${path.module}/build/worker.zip"
}

resource "aws_lambda_function" "worker" {
  function_name    = "worker-${var.env}"
  filename         = data.archive_file.worker.output_path
  source_code_hash = data.archive_file.worker.output_base64sha256
  handler          = "worker.handler"
  runtime          = "python3.12"
  timeout          = 10
  role             = aws_iam_role.lambda.arn

  environment {
    variables = {
      GREETING = "hello"
    }
  }
}

# A heredoc, as the aws_sfn_state_machine documentation shows it.
resource "aws_sfn_state_machine" "hello" {
  name     = "hello-${var.env}"
  role_arn = aws_iam_role.sfn.arn

  definition = <<EOF
{
  "Comment": "A Hello World example using an AWS Lambda function",
  "StartAt": "HelloWorld",
  "States": {
    "HelloWorld": {
      "Type": "Task",
      "Resource": "${aws_lambda_function.worker.arn}",
      "ResultPath": "result",
      "End": true
    }
  }
}
EOF
}

locals {
  batch_definition = templatefile("${path.module}/statemachines/batch.asl.json", {
    worker_arn   = aws_lambda_function.worker.arn
    batch_size   = 25
    table_name   = "jobs-${var.env}"
  })
}

resource "aws_sfn_state_machine" "batch" {
  name       = "batch"
  role_arn   = aws_iam_role.sfn.arn
  definition = local.batch_definition
}

resource "aws_sfn_state_machine" "encoded" {
  name     = "encoded"
  role_arn = aws_iam_role.sfn.arn
  definition = jsonencode({
    Comment = "jsonencode keeps the definition in HCL"
    StartAt = "Work"
    States = {
      Work = {
        Type     = "Task"
        Resource = aws_lambda_function.worker.arn
        Retry = [{
          ErrorEquals = ["States.ALL"]
          MaxAttempts = 3
        }]
        End = true
      }
    }
  })
}
