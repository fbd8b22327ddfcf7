using CacheSerial.TestSupport;
using CacheSerial.Internal;
using CacheSerial.StackExchangeRedis.Internal;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace CacheSerial.Tests.StackExchangeRedis;

/// <summary>UseStackExchangeRedis' argument checks, and what registering does without a server (nothing connects).</summary>
public sealed class UseStackExchangeRedisArgumentTests
{
    private static ICacheSerialBuilder Builder() => new ServiceCollection().AddCacheSerial();

    [Fact]
    public void UseStackExchangeRedis_NullBuilder_ThrowsArgumentNullException()
    {
        Assert.Throws<ArgumentNullException>("builder", () => CacheSerialRedisBuilderExtensions.UseStackExchangeRedis(null!, "localhost:6379"));
        Assert.Throws<ArgumentNullException>("builder", () => CacheSerialRedisBuilderExtensions.UseStackExchangeRedis(null!, new ConfigurationOptions()));
    }

    [Fact]
    public void UseStackExchangeRedis_NullArguments_ThrowArgumentNullException()
    {
        Assert.Throws<ArgumentNullException>("configuration", () => Builder().UseStackExchangeRedis((string)null!));
        Assert.Throws<ArgumentNullException>("configuration", () => Builder().UseStackExchangeRedis((ConfigurationOptions)null!));
        Assert.Throws<ArgumentNullException>("connection", () => Builder().UseStackExchangeRedis((IConnectionMultiplexer)null!));
        Assert.Throws<ArgumentNullException>("connectionFactory", () => Builder().UseStackExchangeRedis((Func<IServiceProvider, IConnectionMultiplexer>)null!));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void UseStackExchangeRedis_EmptyConfiguration_ThrowsArgumentException(string value)
    {
        Assert.Throws<ArgumentException>("configuration", () => Builder().UseStackExchangeRedis(value));
    }

    [Theory]
    [InlineData("localhost:6379,nosuchoption=1")]
    [InlineData("abortConnect=false")]
    public void UseStackExchangeRedis_InvalidConfigurationString_ThrowsArgumentException(string value)
    {
        Assert.Throws<ArgumentException>("configuration", () => Builder().UseStackExchangeRedis(value));
    }

    [Fact]
    public void UseStackExchangeRedis_ConfigurationOptionsWithoutEndpoint_ThrowsArgumentException()
    {
        Assert.Throws<ArgumentException>("configuration", () => Builder().UseStackExchangeRedis(new ConfigurationOptions()));
    }

    [Fact]
    public async Task UseStackExchangeRedis_ConfigurationOptions_CopiedWithAbortOnConnectFailOffAndCallerCopyUnchanged()
    {
        var configuration = ConfigurationOptions.Parse("localhost:6379,abortConnect=true");
        var services = new ServiceCollection();
        services.AddCacheSerial().UseStackExchangeRedis(configuration);
        await using var provider = services.BuildServiceProvider();

        var store = StoreOf(provider.GetRequiredService<ITypedCache>());

        Assert.True(configuration.AbortOnConnectFail);
        Assert.True(store.Connection.OwnsMultiplexer);
        Assert.Null(store.Connection.OwnedMultiplexer); // resolving the cache does not connect
    }

    [Fact]
    public async Task UseStackExchangeRedis_FactoryReturnsNull_ResolvingTheCacheThrowsInvalidOperationException()
    {
        var services = new ServiceCollection();
        services.AddCacheSerial().UseStackExchangeRedis(_ => null!);
        await using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<ITypedCache>());
        Assert.Contains("returned null", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UseStackExchangeRedis_NoIDistributedCacheRegistered_CacheResolvesOnTheNativeStore()
    {
        var services = new ServiceCollection();
        services.AddCacheSerial().UseStackExchangeRedis("localhost:6379");
        await using var provider = services.BuildServiceProvider();

        Assert.IsType<RedisCacheStore>(CacheInternals.StoreOf(provider.GetRequiredService<ITypedCache>()));
    }

    [Theory]
    [InlineData(0.4, 1)]
    [InlineData(1, 1)]
    [InlineData(1500.2, 1501)]
    [InlineData(90_500, 90_500)]
    public void Milliseconds_RoundsUpToWholeMillisecondsAtLeastOne(double milliseconds, double expected)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(expected), RedisCacheStore.Milliseconds(TimeSpan.FromMilliseconds(milliseconds)));
    }

    private static RedisCacheStore StoreOf(ITypedCache cache) => Assert.IsType<RedisCacheStore>(CacheInternals.StoreOf(cache));
}
