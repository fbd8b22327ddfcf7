using CacheSerial.TestSupport.Codecs;

namespace CacheSerial.Tests.Codecs;

public sealed class SystemTextJsonCodecRoundTripTests : CodecRoundTripTests
{
    protected override ICacheCodec Codec => SystemTextJsonCodec.Default;
}
