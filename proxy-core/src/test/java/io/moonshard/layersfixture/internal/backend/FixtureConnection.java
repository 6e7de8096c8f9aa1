package io.moonshard.layersfixture.internal.backend;

import io.moonshard.layersfixture.internal.session.FixtureSession;

/** LayersTest's back-edge: a backend class that calls into a session, as BackendConnection once did. */
public final class FixtureConnection {

    private FixtureSession waiter;

    public void pauseIfSaturated(FixtureSession session) {
        waiter = session;
        session.pauseReading();
    }

    public boolean hasWaiter() {
        return waiter != null;
    }
}
