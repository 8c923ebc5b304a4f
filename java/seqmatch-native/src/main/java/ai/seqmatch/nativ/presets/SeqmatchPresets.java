/*
 * JavaCPP presets for the SeqMatch native facade (native/include/seqmatch/api.h).
 * The parser reads only that header and writes ai.seqmatch.nativ.SeqmatchNative into src/gen/java at
 * build time, so functions added to api.h get bindings without hand-written Java.
 * Build: mvn -pl java/seqmatch-native -am install
 */
package ai.seqmatch.nativ.presets;

import org.bytedeco.javacpp.annotation.Platform;
import org.bytedeco.javacpp.annotation.Properties;
import org.bytedeco.javacpp.tools.Info;
import org.bytedeco.javacpp.tools.InfoMap;
import org.bytedeco.javacpp.tools.InfoMapper;

@Properties(
    target = "ai.seqmatch.nativ.SeqmatchNative",
    value = @Platform(include = "seqmatch/api.h", link = "seqmatch"))
public class SeqmatchPresets implements InfoMapper {
  @Override
  public void map(InfoMap infoMap) {
    // Strings cross as java.lang.String first (returned JSON, device names, paths); BytePointer
    // overloads stay for callers that already hold native memory.
    infoMap.put(
        new Info("std::string")
            .annotations("@StdString")
            .valueTypes("String", "BytePointer")
            .pointerTypes("BytePointer"));
  }
}
