"""Create the demo bucket in a local store, allow browser uploads to it (CORS) and put a demo object.
Idempotent. Usage: store_init.py ENDPOINT BUCKET (credentials from STORE_ACCESS_KEY_ID/STORE_SECRET_ACCESS_KEY)."""
import os
import sys

import boto3
from botocore.config import Config

endpoint, bucket = sys.argv[1], sys.argv[2]
s3 = boto3.client(
    "s3",
    endpoint_url=endpoint,
    region_name="us-east-1",
    aws_access_key_id=os.environ["STORE_ACCESS_KEY_ID"],
    aws_secret_access_key=os.environ["STORE_SECRET_ACCESS_KEY"],
    config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
)
existing = [b["Name"] for b in s3.list_buckets().get("Buckets", [])]
if bucket not in existing:
    s3.create_bucket(Bucket=bucket)
# Browsers upload straight to the store with URLs and forms bagroom signs: allow that.
s3.put_bucket_cors(
    Bucket=bucket,
    CORSConfiguration={
        "CORSRules": [
            {
                "AllowedOrigins": ["*"],
                "AllowedMethods": ["GET", "HEAD", "PUT", "POST"],
                "AllowedHeaders": ["*"],
                "ExposeHeaders": ["ETag", "x-amz-version-id"],
                "MaxAgeSeconds": 3600,
            }
        ]
    },
)
s3.put_object(
    Bucket=bucket,
    Key="hello.txt",
    Body=b"Hello from bagroom: this object lives in the store and reaches you through the edge.\n",
    ContentType="text/plain; charset=utf-8",
)
print(f"store ready: bucket {bucket!r} with hello.txt at {endpoint}")
