using CacheSerial.Internal;
using CacheSerial.MessagePack;
using CacheSerial.TestSupport;
using CacheSerial.Tests.Behaviour;
using Microsoft.Extensions.DependencyInjection;

namespace CacheSerial.Tests.DependencyInjection;

/// <summary>What <see cref="CacheEntryLayout.PlainJson"/> refuses: codecs that do not write JSON, and defaults that need the envelope.</summary>
public sealed class PlainJsonLayoutOptionsTests
{
    [Fact]
    public void Resolve_PlainJsonWithMessagePackCodec_ThrowsNamingTheCodec()
    {
        var ex = Assert.Throws<InvalidOperationException>(() =>
            new CacheHarness(InMemoryStores.Create(), o => o.EntryLayout = CacheEntryLayout.PlainJson, b => b.UseMessagePack()));

        Assert.Contains("msgpack", ex.Message, StringComparison.Ordinal);
        Assert.Contains("PlainJson", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_PlainJsonWithMessagePackForOneType_Throws()
    {
        Assert.Throws<InvalidOperationException>(() =>
            new CacheHarness(InMemoryStores.Create(), o => o.EntryLayout = CacheEntryLayout.PlainJson, b => b.UseMessagePackFor<int>()));
    }

    [Theory]
    [InlineData(true, null, false)]
    [InlineData(null, 0.8, false)]
    [InlineData(false, null, true)]
    public void Validate_PlainJsonDefaults_RefuseFailSafeAndEagerRefresh(bool? failSafe, double? eager, bool valid)
    {
        var options = new CacheSerialOptions
        {
            EntryLayout = CacheEntryLayout.PlainJson,
            DefaultEntryOptions = new CacheEntryOptions { Expiration = TimeSpan.FromMinutes(1), FailSafe = failSafe, EagerRefreshThreshold = eager },
        };

        var result = new CacheSerialOptionsValidator().Validate("c", options);

        Assert.Equal(valid, result.Succeeded);
    }

    [Fact]
    public void Validate_UnknownLayout_Fails()
    {
        var result = new CacheSerialOptionsValidator().Validate("c", new CacheSerialOptions { EntryLayout = (CacheEntryLayout)9 });

        Assert.Contains("EntryLayout", Assert.Single(result.Failures!), StringComparison.Ordinal);
    }
}
