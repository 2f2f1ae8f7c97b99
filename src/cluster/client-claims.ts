// Who holds a client id across nodes. Each accepted CONNECT claims the id with a fresh epoch from Redis; a node
// that hears of a claim with a higher epoch than its own connection's closes that connection. Until the local
// epoch is known, a remote claim is remembered and decided when it arrives, so two simultaneous CONNECTs on two
// nodes end with exactly one survivor (the higher epoch) instead of both closing.

interface Claim {
  /** This node's epoch for its connection; undefined while INCR is on its way. */
  epoch: number | undefined;
  /** Highest remote epoch heard while ours was unknown. */
  remote: number;
}

export class ClientClaims {
  private readonly claims = new Map<string, Claim>();

  /** A connection for `clientId` was accepted here; returns the token to resolve its epoch with. */
  begin(clientId: string): object {
    const claim: Claim = { epoch: undefined, remote: 0 };
    this.claims.set(clientId, claim);
    return claim;
  }

  /** Our epoch arrived; true when a remote claim already beat it (the local connection must close). */
  resolve(clientId: string, token: object, epoch: number): boolean {
    const claim = token as Claim;
    if (this.claims.get(clientId) !== claim) return false; // a newer local connection replaced it
    claim.epoch = epoch;
    if (claim.remote > epoch) {
      this.claims.delete(clientId);
      return true;
    }
    return false;
  }

  /** Another node claimed `clientId` with `epoch`; true when the local connection must close now. */
  remote(clientId: string, epoch: number): boolean {
    const claim = this.claims.get(clientId);
    if (!claim) return true; // no claim on record (made while Redis was away): the newer connection wins
    if (claim.epoch === undefined) {
      if (epoch > claim.remote) claim.remote = epoch;
      return false;
    }
    if (claim.epoch > epoch) return false; // ours is newer: the other node closes its own when it hears of ours
    this.claims.delete(clientId);
    return true;
  }

  /** The local connection closed; returns its epoch, if it had one, to clear the registry entry with. */
  release(clientId: string): number | undefined {
    const claim = this.claims.get(clientId);
    this.claims.delete(clientId);
    return claim?.epoch;
  }

  get size(): number {
    return this.claims.size;
  }
}
