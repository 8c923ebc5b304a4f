/*
 * Logging of the `seqmatch` process: everything (SeqMatch's System.Logger, gRPC and Netty, and SLF4J
 * through slf4j-jdk14) goes to java.util.logging, whose console handler writes one line per record to
 * stderr: "2026-11-30 01:23:45 WARNING ai.seqmatch.grpc.ConnectionLimiter: connections: ...". A
 * java.util.logging.config.file or an explicit SimpleFormatter format given with -D wins.
 */
package ai.seqmatch.cli;

final class CliLogging {
  static final String FORMAT_PROPERTY = "java.util.logging.SimpleFormatter.format";
  static final String ONE_LINE = "%1$tF %1$tT %4$s %3$s: %5$s%6$s%n";

  private CliLogging() {}

  /** Call first in main(), before anything logs (the console formatter reads the format once). */
  static void install() {
    if (System.getProperty(FORMAT_PROPERTY) == null && System.getProperty("java.util.logging.config.file") == null) {
      System.setProperty(FORMAT_PROPERTY, ONE_LINE);
    }
  }
}
