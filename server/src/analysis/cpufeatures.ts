// CPU features that the configuration rules out. An ALTERNATIVE arm guarded by such a feature is
// never patched in: the bit is set only by code the option compiles in (Xen PV's start-up code
// sets X86_FEATURE_XENPV, the PTI set-up sets X86_FEATURE_PTI, ...), and Linux's
// disabled-features masks (asm/disabled-features.h, 4.15+; generated cpufeaturemasks.h, 6.15+)
// say the same to cpu_feature_enabled(). The walk does not explore those arms, so a kernel read
// without CONFIG_XEN_PV gets no finding from the Xen PV return path it cannot run.

/** Feature → the configuration options (any one suffices; 6.9+ renamed several) that make it possible. */
const NEEDS: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['X86_FEATURE_XENPV', ['CONFIG_XEN_PV']],
  ['X86_FEATURE_PTI', ['CONFIG_PAGE_TABLE_ISOLATION', 'CONFIG_MITIGATION_PAGE_TABLE_ISOLATION']],
  ['X86_FEATURE_RETPOLINE', ['CONFIG_RETPOLINE', 'CONFIG_MITIGATION_RETPOLINE']],
  ['X86_FEATURE_RETPOLINE_LFENCE', ['CONFIG_RETPOLINE', 'CONFIG_MITIGATION_RETPOLINE']],
  ['X86_FEATURE_RETHUNK', ['CONFIG_RETHUNK', 'CONFIG_MITIGATION_RETHUNK']],
  ['X86_FEATURE_UNRET', ['CONFIG_CPU_UNRET_ENTRY', 'CONFIG_MITIGATION_UNRET_ENTRY']],
  ['X86_FEATURE_CALL_DEPTH', ['CONFIG_CALL_DEPTH_TRACKING', 'CONFIG_MITIGATION_CALL_DEPTH_TRACKING']],
  ['X86_FEATURE_FRED', ['CONFIG_X86_FRED']],
  ['X86_FEATURE_USER_SHSTK', ['CONFIG_X86_USER_SHADOW_STACK']],
  ['X86_FEATURE_IBT', ['CONFIG_X86_KERNEL_IBT']],
];

/**
 * The features the configuration rules out, each with the reason. Only a Linux configuration
 * decides this (one that sets CONFIG_X86_64); other kernels' files keep every arm.
 */
export function disabledFeatures(defines: Readonly<Record<string, string>>): Map<string, string> {
  const out = new Map<string, string>();
  if (!isOn(defines.CONFIG_X86_64)) return out;
  for (const [feature, options] of NEEDS) {
    if (options.some((o) => isOn(defines[o]))) continue;
    out.set(feature, `${options[0]} is not set`);
  }
  return out;
}

function isOn(v: string | undefined): boolean {
  return v !== undefined && v.trim() !== '0' && v.trim() !== '';
}
