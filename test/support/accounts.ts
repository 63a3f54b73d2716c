import { addAccountRepresentative } from '../../src/registration/accounts.js';
import type { Subscriber } from '../../src/registration/contract.js';
import type { World } from './world.js';

/** The admin context for representatives: the world's pepper and keys, as the CLI uses its own. */
export function representativeCtx(world: World) {
  return {
    db: world.deps.db,
    actor: 'test',
    now: world.now(),
    identityPepper: world.deps.secrets.identityPepper,
    keyring: { keys: world.deps.secrets.piiKeys },
  };
}

export function addRepresentative(
  world: World,
  input: { operatorId: string; accountRef: string; subscriber: Subscriber },
) {
  return addAccountRepresentative({ ctx: representativeCtx(world), input });
}
