/** The runnable proxy: main, CLI and config file, logging set-up. */
package io.moonshard.server;
