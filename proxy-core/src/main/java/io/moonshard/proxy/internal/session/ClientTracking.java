package io.moonshard.proxy.internal.session;

/**
 * A client's CLIENT TRACKING as the proxy sees it; the backends hold the rest (prefixes, caching,
 * a broken redirect).
 *
 * @param redirectId the proxy id of the client invalidations go to, or 0 for the client itself
 * @param optIn      OPTIN: only keys read after CLIENT CACHING yes are tracked
 * @param optOut     OPTOUT: keys read after CLIENT CACHING no are not tracked
 */
public record ClientTracking(long redirectId, boolean optIn, boolean optOut) {
}
