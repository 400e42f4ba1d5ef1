// Layers by the part they play (the manifest's `role`): the county, its subdivisions, the red
// line, the parks, the places, the neighbours. Nothing in the app names a layer id.

import type { LayerDef, Role } from "./api";

/** The layer that plays `role`, if the plan has one. */
export const roleLayer = <T extends { role?: Role | null }>(layers: T[], role: Role): T | undefined =>
  layers.find((l) => l.role === role);

/** The id of the layer that plays `role`, if any. */
export const roleId = (layers: LayerDef[], role: Role): string | undefined => roleLayer(layers, role)?.id;
