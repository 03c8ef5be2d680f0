import { TerraformVariable } from 'cdktf';
import type { Construct } from 'constructs';

// Every knob the customer can turn is a Terraform variable, so a plan can be reviewed and changed
// without Node or npm. Validation runs at `terraform plan`, before anything is created.

/** Retention periods CloudWatch Logs accepts; anything else is rejected by the API at apply time. */
export const LOG_RETENTION_CHOICES = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** Fargate accepts only these task CPU units; memory ranges depend on them and are checked below. */
const FARGATE_CPU = [256, 512, 1024, 2048, 4096, 8192, 16384] as const;

// Images must come from a private ECR repository and be pinned by digest: a tag can be moved after the
// security review, a digest cannot. The capture groups feed the IAM resource ARN of the repository.
export const ECR_IMAGE_PATTERN =
  '^([0-9]{12})\\.dkr\\.ecr\\.([a-z0-9-]+)\\.amazonaws\\.com(?:\\.cn)?/([a-z0-9][a-z0-9._/-]*)@sha256:[a-f0-9]{64}$';

/**
 * RFC 1918 IPv4 ranges as an HCL regex over a CIDR string: 10.x/8+, 172.16-31.x/12+, 192.168.x/16+. The console
 * may be opened only from these (the plane itself refuses to listen on anything else, console/bind-address.ts).
 */
export const PRIVATE_CIDR_PATTERN =
  '^(10\\\\.[0-9.]+/([89]|[12][0-9]|3[0-2])|172\\\\.(1[6-9]|2[0-9]|3[01])\\\\.[0-9.]+/(1[2-9]|2[0-9]|3[0-2])|192\\\\.168\\\\.[0-9.]+/(1[6-9]|2[0-9]|3[0-2]))$';

/** Quotes a JS string as an HCL string literal (backslashes and quotes escaped). */
export function hclString(value: string): string {
  return JSON.stringify(value);
}

export type StackVariables = ReturnType<typeof defineVariables>;

function bool(scope: Construct, id: string, description: string, defaultValue: boolean): TerraformVariable {
  return new TerraformVariable(scope, id, { type: 'bool', description, default: defaultValue, nullable: false });
}

function image(scope: Construct, id: string, what: string): TerraformVariable {
  return new TerraformVariable(scope, id, {
    type: 'string',
    nullable: false,
    description: `${what} image, from a private ECR repository and pinned by digest (<account>.dkr.ecr.<region>.amazonaws.com/<repo>@sha256:<64 hex>). Supplied by the vendor with each release.`,
    validation: [
      {
        condition: `\${can(regex(${hclString(ECR_IMAGE_PATTERN)}, var.${id}))}`,
        errorMessage: `${id} must be a private ECR image pinned by digest (...@sha256:<64 hex>); tags are not accepted.`,
      },
    ],
  });
}

function intRange(scope: Construct, id: string, description: string, defaultValue: number, min: number, max: number): TerraformVariable {
  return new TerraformVariable(scope, id, {
    type: 'number',
    description,
    default: defaultValue,
    nullable: false,
    validation: [
      {
        condition: `\${var.${id} >= ${min} && var.${id} <= ${max} && floor(var.${id}) == var.${id}}`,
        errorMessage: `${id} must be a whole number from ${min} to ${max}.`,
      },
    ],
  });
}

function fargateCpu(scope: Construct, id: string, what: string, defaultValue: number): TerraformVariable {
  return new TerraformVariable(scope, id, {
    type: 'number',
    description: `Fargate CPU units for one ${what} task (${FARGATE_CPU.join(', ')}).`,
    default: defaultValue,
    nullable: false,
    validation: [
      {
        condition: `\${contains([${FARGATE_CPU.join(', ')}], var.${id})}`,
        errorMessage: `${id} must be one of ${FARGATE_CPU.join(', ')}.`,
      },
    ],
  });
}

export function defineVariables(scope: Construct) {
  const region = new TerraformVariable(scope, 'region', {
    type: 'string',
    description: 'AWS region the customer plane is deployed to, e.g. eu-west-1.',
    nullable: false,
    validation: [
      {
        condition: '${can(regex("^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$", var.region))}',
        errorMessage: 'region must be an AWS region code such as eu-west-1.',
      },
    ],
  });
  const tenantId = new TerraformVariable(scope, 'tenant_id', {
    type: 'string',
    description:
      'Tenant id issued by the vendor with the enrollment token (a UUID). The plane is started with it (TENANT_ID); used in resource names and in every message the plane signs.',
    nullable: false,
    validation: [
      {
        // The customer plane's config accepts a UUID only (customer-plane/config.ts); lowercase, because it names resources.
        condition: '${can(regex("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", var.tenant_id))}',
        errorMessage: 'tenant_id must be a lowercase UUID, as issued by the vendor.',
      },
    ],
  });
  const controlPlaneUrl = new TerraformVariable(scope, 'control_plane_url', {
    type: 'string',
    description:
      'The vendor control plane\'s base URL, e.g. https://control.eu.agentplane.example. The plane enrolls there at first start and, with llm_mode = "routed", calls its LLM proxy.',
    nullable: false,
    validation: [
      {
        condition: '${can(regex("^https://[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?(/.*)?$", var.control_plane_url))}',
        errorMessage: 'control_plane_url must be an https:// URL; the plane refuses other schemes off its own machine.',
      },
    ],
  });
  const hubUrl = new TerraformVariable(scope, 'hub_url', {
    type: 'string',
    description:
      "Leafnode URL of the vendor's NATS hub, e.g. tls://hub.eu.agentplane.example:7422, as the vendor's release notes give it. TLS only; the plane's leaf dials out, nothing dials in. The leaf itself dials the URL the control plane hands out at enrollment; this variable opens the security group for it.",
    nullable: false,
    validation: [
      {
        condition: '${can(regex("^tls://[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?$", var.hub_url))}',
        errorMessage: 'hub_url must be tls://<host>[:port]; plaintext nats:// is refused.',
      },
    ],
  });
  const hubLeafnodePort = intRange(
    scope,
    'hub_leafnode_port',
    "TCP port of the hub's leafnode listener. The only non-HTTPS port the stack may reach outside the VPC.",
    7422,
    1024,
    65535,
  );
  const vpcCidr = new TerraformVariable(scope, 'vpc_cidr', {
    type: 'string',
    description:
      'IPv4 CIDR of the VPC, /16 to /22. Split into two private and two small public (NAT-only) subnets. Pick a range that does not overlap networks you peer with.',
    default: '10.42.0.0/16',
    nullable: false,
    validation: [
      {
        condition: '${can(cidrhost(var.vpc_cidr, 0)) && can(regex("/(1[6-9]|2[0-2])$", var.vpc_cidr))}',
        errorMessage: 'vpc_cidr must be a valid IPv4 CIDR with a prefix length from /16 to /22.',
      },
    ],
  });
  const llmMode = new TerraformVariable(scope, 'llm_mode', {
    type: 'string',
    description:
      "The plane's LLM_MODE. direct: it calls LLM providers with your own keys (the openai-api-key / anthropic-api-key secrets; only token counts leave). routed: calls go through the vendor's LLM proxy with the agent-token secret.",
    default: 'direct',
    nullable: false,
    validation: [
      {
        condition: '${contains(["direct", "routed"], var.llm_mode)}',
        errorMessage: 'llm_mode must be "direct" or "routed".',
      },
    ],
  });
  const logRetentionDays = new TerraformVariable(scope, 'log_retention_days', {
    type: 'number',
    description: 'Days CloudWatch keeps every log group of the stack (service logs, flow logs, database logs).',
    default: 90,
    nullable: false,
    validation: [
      {
        condition: `\${contains([${LOG_RETENTION_CHOICES.join(', ')}], var.log_retention_days)}`,
        errorMessage: `log_retention_days must be one of the values CloudWatch accepts: ${LOG_RETENTION_CHOICES.join(', ')}.`,
      },
    ],
  });

  return {
    region,
    tenantId,
    controlPlaneUrl,
    hubUrl,
    hubLeafnodePort,
    vpcCidr,
    llmMode,
    logRetentionDays,
    backupRetentionDays: intRange(
      scope,
      'backup_retention_days',
      'Days RDS keeps automated backups (point-in-time recovery window).',
      14,
      7,
      35,
    ),
    deletionProtection: bool(
      scope,
      'deletion_protection',
      'Protects the database from deletion. Set to false and apply before `terraform destroy`.',
      true,
    ),
    dbMultiAz: bool(scope, 'db_multi_az', 'Run the database with a standby in the second AZ.', true),
    dbInstanceClass: new TerraformVariable(scope, 'db_instance_class', {
      type: 'string',
      description: "RDS instance class for the plane's database (run ledger, approvals, memory).",
      default: 'db.t4g.medium',
      nullable: false,
      validation: [
        {
          condition: '${can(regex("^db\\\\.[a-z0-9]+\\\\.[a-z0-9]+$", var.db_instance_class))}',
          errorMessage: 'db_instance_class must look like db.<family>.<size>.',
        },
      ],
    }),
    dbAllocatedStorageGb: intRange(scope, 'db_allocated_storage_gb', 'Initial database storage in GiB.', 20, 20, 16384),
    dbMaxAllocatedStorageGb: intRange(
      scope,
      'db_max_allocated_storage_gb',
      'Upper bound for storage autoscaling in GiB (must be at least db_allocated_storage_gb).',
      100,
      20,
      16384,
    ),
    runnerCpu: fargateCpu(scope, 'runner_cpu', 'customer plane (runner)', 2048),
    runnerMemoryMb: intRange(
      scope,
      'runner_memory_mb',
      'Memory (MiB) of the customer plane task (runner, its leaf and the commands agents run); must suit runner_cpu.',
      4096,
      512,
      122880,
    ),
    runnerConcurrency: intRange(
      scope,
      'runner_concurrency',
      'Workflows the customer plane runs at once (RUNNER_CONCURRENCY). The plane is one task; scale it with this and runner_cpu/runner_memory_mb.',
      2,
      1,
      64,
    ),
    consoleAllowedCidrs: new TerraformVariable(scope, 'console_allowed_cidrs', {
      type: 'list(string)',
      description:
        'Private networks (RFC 1918 IPv4 CIDRs, e.g. your VPN or office range reached through peering) that may open the local web console over HTTPS. Empty (the default): no console. Public ranges are refused.',
      default: [],
      nullable: false,
      validation: [
        {
          // Each CIDR must be valid and lie inside 10/8, 172.16/12 or 192.168/16: the console is never public.
          condition: `\${alltrue([for c in var.console_allowed_cidrs : can(cidrhost(c, 0)) && can(regex("${PRIVATE_CIDR_PATTERN}", c))])}`,
          errorMessage:
            'console_allowed_cidrs must list private IPv4 CIDRs (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16) with a prefix of /8 or longer inside them.',
        },
      ],
    }),
    repos: new TerraformVariable(scope, 'repos', {
      type: 'map(string)',
      description:
        'Repositories agents may work on (REPOS), at least one: alias → its directory under /repos, the read-only repositories file system (efs_repos_access_point_id). The plane refuses to start while a directory is missing there.',
      nullable: false,
      validation: [
        {
          condition:
            '${length(var.repos) > 0 && alltrue([for k, v in var.repos : can(regex("^[a-z0-9][a-z0-9-]{0,39}$", k)) && can(regex("^/repos/[A-Za-z0-9._/-]+$", v)) && !strcontains(v, "..")])}',
          errorMessage:
            'repos must map at least one lowercase alias (letters, digits, dashes) to an absolute path under /repos/ without "..".',
        },
      ],
    }),
    otelCpu: fargateCpu(scope, 'otel_cpu', 'OTEL collector', 256),
    otelMemoryMb: intRange(scope, 'otel_memory_mb', 'Memory (MiB) of one OTEL collector task.', 512, 512, 30720),
    runnerImage: image(scope, 'runner_image', 'Customer plane (runner)'),
    otelImage: image(scope, 'otel_image', 'OTEL collector'),
    scaleToZeroOffHours: bool(
      scope,
      'scale_to_zero_off_hours',
      'Scale every service to zero outside business hours. Dispatches queue on the hub and are picked up when the plane wakes.',
      false,
    ),
    businessHoursStart: new TerraformVariable(scope, 'business_hours_start', {
      type: 'string',
      description: 'EventBridge cron expression (in business_hours_timezone) at which services scale up.',
      default: 'cron(0 7 ? * MON-FRI *)',
      nullable: false,
      validation: [
        {
          condition: '${can(regex("^cron\\\\(.+\\\\)$", var.business_hours_start))}',
          errorMessage: 'business_hours_start must be cron(...).',
        },
      ],
    }),
    businessHoursEnd: new TerraformVariable(scope, 'business_hours_end', {
      type: 'string',
      description: 'EventBridge cron expression (in business_hours_timezone) at which services scale to zero.',
      default: 'cron(0 20 ? * MON-FRI *)',
      nullable: false,
      validation: [
        { condition: '${can(regex("^cron\\\\(.+\\\\)$", var.business_hours_end))}', errorMessage: 'business_hours_end must be cron(...).' },
      ],
    }),
    businessHoursTimezone: new TerraformVariable(scope, 'business_hours_timezone', {
      type: 'string',
      description: 'IANA time zone for the business-hours schedule, e.g. Europe/Berlin.',
      default: 'UTC',
      nullable: false,
      validation: [
        {
          condition: '${can(regex("^[A-Za-z_]+(/[A-Za-z0-9_+-]+)*$", var.business_hours_timezone))}',
          errorMessage: 'business_hours_timezone must be an IANA zone name.',
        },
      ],
    }),
    extraTags: new TerraformVariable(scope, 'extra_tags', {
      type: 'map(string)',
      description: 'Additional tags applied to every resource (cost centre, owner, ...).',
      default: {},
      nullable: false,
    }),
  };
}
