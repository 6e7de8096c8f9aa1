package io.moonshard.layersfixture.internal.session;

import io.moonshard.layersfixture.internal.backend.FixtureConnection;

/** LayersTest's fixture: a session that sends on a backend connection (the allowed direction). */
public final class FixtureSession {

    private boolean paused;

    public void send(FixtureConnection connection) {
        connection.pauseIfSaturated(this);
    }

    public void pauseReading() {
        paused = true;
    }

    public boolean isPaused() {
        return paused;
    }
}
