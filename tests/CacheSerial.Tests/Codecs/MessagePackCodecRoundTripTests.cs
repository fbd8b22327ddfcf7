using CacheSerial.MessagePack;
using CacheSerial.TestSupport.Codecs;

namespace CacheSerial.Tests.Codecs;

public sealed class MessagePackCodecRoundTripTests : CodecRoundTripTests
{
    protected override ICacheCodec Codec => MessagePackCodec.Default;
}
