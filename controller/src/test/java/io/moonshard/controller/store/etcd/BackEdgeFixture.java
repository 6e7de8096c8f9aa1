package io.moonshard.controller.store.etcd;

import io.moonshard.controller.election.Candidate;

/** A test-only class in the store package that uses the election: ControllerLayersTest's rule must catch it. */
public final class BackEdgeFixture {

    public Candidate forbidden() {
        return new Candidate("x", "");
    }
}
