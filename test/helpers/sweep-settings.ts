/** Sweep settings written as a result records them (strings), parsed as sampleLandscape takes them. */
import { parseAttack } from '../../src/attacks/attack-spec.ts';
import { parseDataSpec } from '../../src/data/dataset.ts';
import { parseDirection } from '../../src/directions/direction-spec.ts';
import type { LandscapeSettings, SweepSettings } from '../../src/landscape/sample-landscape.ts';

export function parsedSettings(settings: LandscapeSettings): SweepSettings {
  return {
    ...settings,
    data: parseDataSpec(settings.data),
    attack: parseAttack(settings.attack),
    directions: settings.directions.map(parseDirection),
  };
}
