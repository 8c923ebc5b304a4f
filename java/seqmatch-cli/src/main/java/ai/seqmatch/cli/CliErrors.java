/*
 * Turns failures into STYLE.md's CLI shape: one line on stderr, then "Try '<cmd> --help'" for usage
 * and input errors (exit 2); runtime failures exit 1. Stack traces only with --stacktrace.
 */
package ai.seqmatch.cli;

import ai.seqmatch.CheckpointException;
import ai.seqmatch.InvalidInputException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

final class CliErrors {
  private CliErrors() {}

  static int handleParameterException(ParameterException ex, String[] args) {
    CommandLine cmd = ex.getCommandLine();
    PrintWriter err = cmd.getErr();
    err.println(cmd.getCommandSpec().qualifiedName() + ": " + firstLine(ex.getMessage()));
    tryHelp(cmd);
    return cmd.getCommandSpec().exitCodeOnInvalidInput();
  }

  static int handleExecutionException(Exception ex, CommandLine cmd, ParseResult parseResult) {
    PrintWriter err = cmd.getErr();
    String message = ex.getMessage() == null ? ex.getClass().getSimpleName() : firstLine(ex.getMessage());
    err.println(cmd.getCommandSpec().qualifiedName() + ": " + message);
    if (wantsStacktrace(parseResult)) {
      ex.printStackTrace(err);
    }
    if (isBadInput(ex)) {
      tryHelp(cmd);
      return CommandLine.ExitCode.USAGE;
    }
    if (!wantsStacktrace(parseResult)) {
      err.println("Run with --stacktrace for details.");
    }
    err.flush();
    return CommandLine.ExitCode.SOFTWARE;
  }

  /** Bad input is the user's to fix (exit 2); everything else is a runtime failure (exit 1). */
  static boolean isBadInput(Exception ex) {
    return ex instanceof InvalidInputException
        || ex instanceof CheckpointException
        || ex instanceof IllegalArgumentException;
  }

  private static void tryHelp(CommandLine cmd) {
    cmd.getErr().println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help'");
    cmd.getErr().flush();
  }

  /** --stacktrace is inherited, so it may have been given at any level of the command chain. */
  private static boolean wantsStacktrace(ParseResult parseResult) {
    for (ParseResult pr = parseResult; pr != null; pr = pr.subcommand()) {
      if (pr.hasMatchedOption("--stacktrace")) {
        return true;
      }
    }
    return false;
  }

  static String firstLine(String message) {
    String m = message.strip();
    int newline = m.indexOf('\n');
    return newline < 0 ? m : m.substring(0, newline).strip();
  }
}
