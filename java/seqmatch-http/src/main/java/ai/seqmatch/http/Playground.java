/*
 * The static playground page: GET / answers the classpath resource ai/seqmatch/http/playground/index.html,
 * and GET /playground/NAME the files beside it (no CDN, no build step: whatever the page needs ships in the
 * jar). A build without the page answers 404. Files are read once, at start-up.
 */
package ai.seqmatch.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

final class Playground {
  static final String DIR = "ai/seqmatch/http/playground/";
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");
  private static final Map<String, String> TYPES = Map.of("html", "text/html; charset=utf-8", "js",
      "text/javascript; charset=utf-8", "css", "text/css; charset=utf-8", "svg", "image/svg+xml", "png",
      "image/png", "json", "application/json");

  /** A file to serve. */
  record File(String contentType, byte[] bytes) {}

  private final Map<String, Optional<File>> cache = new ConcurrentHashMap<>();

  /** The page at /, if this build has it. */
  Optional<File> index() {
    return file("index.html");
  }

  /** A file of the page's folder by plain name (no paths), if present. */
  Optional<File> file(String name) {
    if (!NAME.matcher(name).matches() || name.contains("..")) {
      return Optional.empty();
    }
    return cache.computeIfAbsent(name, Playground::load);
  }

  private static Optional<File> load(String name) {
    String type = TYPES.get(name.substring(name.lastIndexOf('.') + 1));
    if (type == null) {
      return Optional.empty();
    }
    try (InputStream in = Playground.class.getClassLoader().getResourceAsStream(DIR + name)) {
      return in == null ? Optional.empty() : Optional.of(new File(type, in.readAllBytes()));
    } catch (IOException e) {
      throw new UncheckedIOException("playground: cannot read " + DIR + name, e);
    }
  }
}
