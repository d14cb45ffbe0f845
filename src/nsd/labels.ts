/**
 * Shipped default label tables (value -> name) for the NSD ROI atlases, from nsd-formats.md.
 * A manifest may override any of them; these apply when an atlas entry gives no `labels`.
 */
export type LabelTable = Record<string, string>;

function table(names: string[], first = 1): LabelTable {
  return Object.fromEntries(names.map((n, i) => [String(first + i), n]));
}

const PRF_VISUAL = ['V1v', 'V1d', 'V2v', 'V2d', 'V3v', 'V3d', 'hV4'];

export const DEFAULT_LABEL_TABLES: Readonly<Record<string, LabelTable>> = {
  'prf-visualrois': table(PRF_VISUAL),
  streams: table(['early', 'midventral', 'midlateral', 'midparietal', 'ventral', 'lateral', 'parietal']),
  // floc-* values 1..k in the listed order (unverified upstream; override in the manifest if needed).
  'floc-faces': table(['OFA', 'FFA-1', 'FFA-2', 'mTL-faces', 'aTL-faces']),
  'floc-bodies': table(['EBA', 'FBA-1', 'FBA-2', 'mTL-bodies']),
  'floc-places': table(['OPA', 'PPA', 'RSC']),
  'floc-words': table(['OWFA', 'VWFA-1', 'VWFA-2', 'mfs-words', 'mTL-words']),
  nsdgeneral: table(['nsdgeneral']),
  // 18..25 follow the Wang et al. 2015 atlas order (unverified for NSD's export).
  Kastner2015: table([
    ...PRF_VISUAL,
    'VO1',
    'VO2',
    'PHC1',
    'PHC2',
    'TO2',
    'TO1',
    'LO2',
    'LO1',
    'V3B',
    'V3A',
    'IPS0',
    'IPS1',
    'IPS2',
    'IPS3',
    'IPS4',
    'IPS5',
    'SPL1',
    'FEF',
  ]),
};
