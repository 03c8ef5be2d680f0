import { EfsAccessPoint } from '@cdktf/provider-aws/lib/efs-access-point/index.js';
import { EfsBackupPolicy } from '@cdktf/provider-aws/lib/efs-backup-policy/index.js';
import { EfsFileSystem } from '@cdktf/provider-aws/lib/efs-file-system/index.js';
import { EfsFileSystemPolicy } from '@cdktf/provider-aws/lib/efs-file-system-policy/index.js';
import { EfsMountTarget } from '@cdktf/provider-aws/lib/efs-mount-target/index.js';
import type { StackContext } from './context.ts';
import { policyDocument } from './iam-doc.ts';

/** The POSIX identity every workload runs as; the EFS access points force it on every file operation. */
export const WORKLOAD_UID = 10001;
export const WORKLOAD_GID = 10001;

export interface Storage {
  fs: EfsFileSystem;
  /** The plane's STATE_DIR: its leaf's JetStream store (outbox, work queue), egress sequence, audit log, workspaces. */
  stateAccessPoint: EfsAccessPoint;
  /** The repositories agents work on (REPOS), mounted read-only into the plane; the customer fills it. */
  reposAccessPoint: EfsAccessPoint;
  mountTargets: EfsMountTarget[];
}

export function createStorage(ctx: StackContext, d: { subnetIds: string[]; efsSecurityGroupId: string; dataKeyArn: string }): Storage {
  const { scope, name } = ctx;

  const fs = new EfsFileSystem(scope, 'efs', {
    creationToken: `${name}-state`,
    encrypted: true,
    kmsKeyId: d.dataKeyArn,
    performanceMode: 'generalPurpose',
    throughputMode: 'elastic',
    lifecyclePolicy: [{ transitionToIa: 'AFTER_30_DAYS' }],
    tags: { Name: `${name}-state` },
  });
  // No AWS Backup: workspaces are rebuilt per run, the outbox is drained to the hub, the audit log is
  // the customer's to copy; recovery points would outlive the stack.
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
  const stateAccessPoint = accessPoint('efs_ap_state', '/state');
  const reposAccessPoint = accessPoint('efs_ap_repos', '/repos');

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

  return { fs, stateAccessPoint, reposAccessPoint, mountTargets };
}
