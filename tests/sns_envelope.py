"""Sends an SES event through SNS on moto, as the configuration set does,
and prints the envelope SNS delivers to a subscriber (here an SQS queue):
what the function's SNS records carry. Reads the event's JSON on stdin.

Run by function/tests/aws_handler.rs with the moto venv's python
(CBT_MOTO_PYTHON) against CBT_MOTO_ENDPOINT."""

import os
import sys
import uuid

import boto3


def main() -> None:
    endpoint = os.environ["CBT_MOTO_ENDPOINT"]
    region = os.environ.get("AWS_REGION", "eu-west-1")
    sns = boto3.client("sns", endpoint_url=endpoint, region_name=region)
    sqs = boto3.client("sqs", endpoint_url=endpoint, region_name=region)
    name = f"cbt-mail-events-{uuid.uuid4().hex[:12]}"
    topic = sns.create_topic(Name=name)["TopicArn"]
    queue = sqs.create_queue(QueueName=name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    sns.publish(TopicArn=topic, Message=sys.stdin.read())
    got = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=5, MaxNumberOfMessages=1)
    messages = got.get("Messages", [])
    if not messages:
        sys.exit("SNS delivered nothing to the queue")
    print(messages[0]["Body"])


if __name__ == "__main__":
    main()
