using CacheSerial.MessagePack;
using CacheSerial.TestSupport.Codecs;

namespace CacheSerial.Tests.Codecs;

public sealed class MessagePackLz4CodecRoundTripTests : CodecRoundTripTests
{
    private static readonly MessagePackCodec Lz4 = new(useLz4: true);

    protected override ICacheCodec Codec => Lz4;
}
