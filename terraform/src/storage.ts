import { EfsAccessPoint } from '@cdktf/provider-aws/lib/efs-access-point/index.js';
import { EfsBackupPolicy } from '@cdktf/provider-aws/lib/efs-backup-policy/index.js';
import { EfsFileSystem } from '@cdktf/provider-aws/lib/efs-file-system/index.js';
import { EfsFileSystemPolicy } from '@cdktf/provider-aws/lib/efs-file-system-policy/index.js';
import { EfsMountTarget } from '@cdktf/provider-aws/lib/efs-mount-target/index.js';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket/index.js';
import { S3BucketLifecycleConfiguration } from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration/index.js';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls/index.js';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy/index.js';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block/index.js';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration/index.js';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning/index.js';
import { Op } from 'cdktf';
import type { StackContext } from './context.ts';
import { policyDocument } from './iam-doc.ts';

/** The POSIX identity every workload runs as; the EFS access points force it on every file operation. */
export const WORKLOAD_UID = 10001;
export const WORKLOAD_GID = 10001;

export interface Storage {
  fs: EfsFileSystem;
  workspaceAccessPoint: EfsAccessPoint;
  jetstreamAccessPoint: EfsAccessPoint;
  bucket: S3Bucket;
  mountTargets: EfsMountTarget[];
}

export function createStorage(ctx: StackContext, d: { subnetIds: string[]; efsSecurityGroupId: string; dataKeyArn: string }): Storage {
  const { scope, name, vars } = ctx;

  const fs = new EfsFileSystem(scope, 'efs', {
    creationToken: `${name}-workspaces`,
    encrypted: true,
    kmsKeyId: d.dataKeyArn,
    performanceMode: 'generalPurpose',
    throughputMode: 'elastic',
    lifecyclePolicy: [{ transitionToIa: 'AFTER_30_DAYS' }],
    tags: { Name: `${name}-workspaces` },
  });
  // Workspaces are ephemeral by design (checked out per workflow, deleted after); backing them up would
  // create AWS Backup recovery points that outlive the stack.
  new EfsBackupPolicy(scope, 'efs_backup_policy', { fileSystemId: fs.id, backupPolicy: { status: 'DISABLED' } });
  const mountTargets = d.subnetIds.map(
    (subnetId, i) =>
      new EfsMountTarget(scope, `efs_mount_${String.fromCharCode(97 + i)}`, {
        fileSystemId: fs.id,
        subnetId,
        securityGroups: [d.efsSecurityGroupId],
      }),
  );

  const accessPoint = (id: string, path: string) =>
    new EfsAccessPoint(scope, id, {
      fileSystemId: fs.id,
      // Whatever uid the client claims, NFS operations run as this user, and only below this directory.
      posixUser: { uid: WORKLOAD_UID, gid: WORKLOAD_GID },
      rootDirectory: {
        path,
        creationInfo: { ownerUid: WORKLOAD_UID, ownerGid: WORKLOAD_GID, permissions: '0750' },
      },
      tags: { Name: `${name}${path.replace(/\//g, '-')}` },
    });
  const workspaceAccessPoint = accessPoint('efs_ap_workspaces', '/workspaces');
  const jetstreamAccessPoint = accessPoint('efs_ap_jetstream', '/jetstream');

  // Refuse unencrypted NFS and any mount that does not go through one of the stack's access points.
  const fsPolicy = policyDocument(scope, 'efs_policy_doc', [
    {
      sid: 'DenyWithoutTls',
      effect: 'Deny',
      actions: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite', 'elasticfilesystem:ClientRootAccess'],
      resources: [fs.arn],
      principals: [{ type: 'AWS', identifiers: ['*'] }],
      conditions: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }],
    },
    {
      sid: 'DenyRootAccess',
      effect: 'Deny',
      actions: ['elasticfilesystem:ClientRootAccess'],
      resources: [fs.arn],
      principals: [{ type: 'AWS', identifiers: ['*'] }],
    },
  ]);
  new EfsFileSystemPolicy(scope, 'efs_policy', { fileSystemId: fs.id, policy: fsPolicy.json });

  // Globally unique name: tenant prefix plus the account id.
  const bucket = new S3Bucket(scope, 'artifacts', {
    bucket: `${name}-artifacts-${ctx.accountId}`,
    // Tied to deletion_protection: while it is on, destroy fails on a non-empty bucket rather than delete
    // artifacts; turning it off (the documented first step of a teardown) lets destroy empty the bucket.
    forceDestroy: Op.not(vars.deletionProtection.booleanValue),
    tags: { Name: `${name}-artifacts` },
  });
  new S3BucketOwnershipControls(scope, 'artifacts_ownership', {
    bucket: bucket.id,
    rule: { objectOwnership: 'BucketOwnerEnforced' },
  });
  const publicAccessBlock = new S3BucketPublicAccessBlock(scope, 'artifacts_public_access_block', {
    bucket: bucket.id,
    blockPublicAcls: true,
    blockPublicPolicy: true,
    ignorePublicAcls: true,
    restrictPublicBuckets: true,
  });
  new S3BucketServerSideEncryptionConfigurationA(scope, 'artifacts_sse', {
    bucket: bucket.id,
    rule: [
      {
        applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: d.dataKeyArn },
        bucketKeyEnabled: true,
      },
    ],
  });
  new S3BucketVersioningA(scope, 'artifacts_versioning', {
    bucket: bucket.id,
    versioningConfiguration: { status: 'Enabled' },
  });
  new S3BucketLifecycleConfiguration(scope, 'artifacts_lifecycle', {
    bucket: bucket.id,
    rule: [
      {
        id: 'retention',
        status: 'Enabled',
        filter: [{ prefix: '' }],
        expiration: [{ days: vars.artifactRetentionDays.numberValue }],
        noncurrentVersionExpiration: [{ noncurrentDays: vars.artifactRetentionDays.numberValue }],
        abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
      },
      {
        id: 'expired-delete-markers',
        status: 'Enabled',
        filter: [{ prefix: '' }],
        expiration: [{ expiredObjectDeleteMarker: true }],
      },
    ],
  });
  // Deny statements use s3:* on purpose: a deny that lists actions leaves every unlisted one open.
  const bucketPolicy = policyDocument(scope, 'artifacts_policy_doc', [
    {
      sid: 'DenyInsecureTransport',
      effect: 'Deny',
      actions: ['s3:*'],
      resources: [bucket.arn, `${bucket.arn}/*`],
      principals: [{ type: 'AWS', identifiers: ['*'] }],
      conditions: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }],
    },
    {
      sid: 'DenyOldTls',
      effect: 'Deny',
      actions: ['s3:*'],
      resources: [bucket.arn, `${bucket.arn}/*`],
      principals: [{ type: 'AWS', identifiers: ['*'] }],
      conditions: [{ test: 'NumericLessThan', variable: 's3:TlsVersion', values: ['1.2'] }],
    },
  ]);
  new S3BucketPolicy(scope, 'artifacts_policy', {
    bucket: bucket.id,
    policy: bucketPolicy.json,
    // A policy put before the public access block could briefly be evaluated without it.
    dependsOn: [publicAccessBlock],
  });

  return { fs, workspaceAccessPoint, jetstreamAccessPoint, bucket, mountTargets };
}
