using CacheSerial.TestSupport.Codecs;

namespace CacheSerial.Tests.Codecs;

/// <summary>The round-trip suite through a source-generated <see cref="System.Text.Json.Serialization.JsonSerializerContext"/>.</summary>
public sealed class SystemTextJsonSourceGeneratedCodecRoundTripTests : CodecRoundTripTests
{
    private static readonly SystemTextJsonCodec SourceGenerated = new(TestJsonContext.Default);

    protected override ICacheCodec Codec => SourceGenerated;
}
