using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CacheSerial.Tests.DependencyInjection;

/// <summary>Invalid <see cref="CacheSerialOptions"/> stop the host at start, with a message that names the option.</summary>
public sealed class OptionsValidationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string, string> InvalidOptions => new()
    {
        { "MaximumKeyLength=10", "MaximumKeyLength" },
        { "MaximumKeyLength=255", "MaximumKeyLength" },
        { "MaximumPayloadBytes=0", "MaximumPayloadBytes" },
        { "MaximumPayloadBytes=-1", "MaximumPayloadBytes" },
        { "MaximumPayloadBytes=int.MaxValue", "MaximumPayloadBytes" },
        { "KeyPrefix=control", "KeyPrefix" },
        { "KeyPrefix=separator", "KeyPrefix" },
        { "KeyPrefix=lone-surrogate", "KeyPrefix" },
        { "KeyPrefix=null", "KeyPrefix" },
        { "DefaultEntryOptions=null", "DefaultEntryOptions" },
        { "DefaultEntryOptions=no-lifetime", "DefaultEntryOptions" },
        { "DefaultEntryOptions=negative-expiration", "DefaultEntryOptions" },
        { "DefaultEntryOptions=zero-expiration", "DefaultEntryOptions" },
        { "DefaultEntryOptions=zero-sliding", "DefaultEntryOptions" },
        { "DefaultEntryOptions=absolute", "DefaultEntryOptions" },
        { "DefaultEntryOptions=unknown-flags", "DefaultEntryOptions" },
        { "OnDeserializationFailure=undefined", "OnDeserializationFailure" },
        { "MaximumKeyLength=long-prefix", "MaximumKeyLength" },
    };

    [Theory]
    [MemberData(nameof(InvalidOptions))]
    public async Task HostStart_InvalidOptions_ThrowsOptionsValidationExceptionNamingTheOption(string change, string option)
    {
        using var host = BuildHost(services => services.AddCacheSerial(o => Apply(o, change)));

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(Ct));

        Assert.Contains($"CacheSerialOptions.{option}", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'default'", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(InvalidOptions))]
    public async Task HostStart_InvalidKeyedCacheOptions_NamesTheCache(string change, string option)
    {
        using var host = BuildHost(services =>
        {
            services.AddCacheSerial();
            services.AddKeyedCacheSerial("orders", o => Apply(o, change));
        });

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(Ct));

        Assert.Contains($"CacheSerialOptions.{option}", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'orders'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HostStart_SeveralInvalidOptions_ReportsEveryOne()
    {
        using var host = BuildHost(services => services.AddCacheSerial(o =>
        {
            o.MaximumKeyLength = 10;
            o.MaximumPayloadBytes = 0;
        }));

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(Ct));

        Assert.Contains("MaximumKeyLength", ex.Message, StringComparison.Ordinal);
        Assert.Contains("MaximumPayloadBytes", ex.Message, StringComparison.Ordinal);
        Assert.Equal(2, ex.Failures.Count());
    }

    [Fact]
    public async Task HostStart_ValidOptions_Starts()
    {
        using var host = BuildHost(services => services.AddCacheSerial(o =>
        {
            o.KeyPrefix = "shop:";
            o.MaximumKeyLength = 256;
            o.MaximumPayloadBytes = 1;
            o.DefaultEntryOptions = new CacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(1) };
            o.OnDeserializationFailure = DeserializationFailureBehavior.Throw;
        }));

        await host.StartAsync(Ct);
        var cache = host.Services.GetRequiredService<ITypedCache>();
        await cache.SetAsync("k", true, cancellationToken: Ct);
        await host.StopAsync(Ct);

        Assert.NotNull(cache);
    }

    [Fact]
    public async Task Resolve_InvalidOptionsWithoutHost_ThrowsOptionsValidationException()
    {
        var services = new ServiceCollection();
        services.AddDistributedMemoryCache();
        services.AddCacheSerial(o => o.MaximumPayloadBytes = 0);
        await using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<ITypedCache>());

        Assert.Contains("MaximumPayloadBytes", ex.Message, StringComparison.Ordinal);
    }

    private static IHost BuildHost(Action<IServiceCollection> configure)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Services.AddDistributedMemoryCache();
        configure(builder.Services);
        return builder.Build();
    }

    private static void Apply(CacheSerialOptions o, string change)
    {
        switch (change)
        {
            case "MaximumKeyLength=10": o.MaximumKeyLength = 10; break;
            case "MaximumKeyLength=255": o.MaximumKeyLength = 255; break;
            case "MaximumKeyLength=long-prefix":
                o.KeyPrefix = new string('p', 300);
                o.MaximumKeyLength = 300;
                break;
            case "MaximumPayloadBytes=0": o.MaximumPayloadBytes = 0; break;
            case "MaximumPayloadBytes=-1": o.MaximumPayloadBytes = -1; break;
            case "MaximumPayloadBytes=int.MaxValue": o.MaximumPayloadBytes = int.MaxValue; break;
            case "KeyPrefix=control": o.KeyPrefix = "shop\n"; break;
            case "KeyPrefix=separator": o.KeyPrefix = "shop\u001F"; break;
            case "KeyPrefix=lone-surrogate": o.KeyPrefix = "shop\uD800"; break;
            case "KeyPrefix=null": o.KeyPrefix = null!; break;
            case "DefaultEntryOptions=null": o.DefaultEntryOptions = null!; break;
            case "DefaultEntryOptions=no-lifetime": o.DefaultEntryOptions = new CacheEntryOptions(); break;
            case "DefaultEntryOptions=negative-expiration": o.DefaultEntryOptions = new CacheEntryOptions { Expiration = TimeSpan.FromSeconds(-1) }; break;
            case "DefaultEntryOptions=zero-expiration": o.DefaultEntryOptions = new CacheEntryOptions { Expiration = TimeSpan.Zero }; break;
            case "DefaultEntryOptions=zero-sliding": o.DefaultEntryOptions = new CacheEntryOptions { SlidingExpiration = TimeSpan.Zero }; break;
            case "DefaultEntryOptions=absolute":
                o.DefaultEntryOptions = new CacheEntryOptions { Expiration = TimeSpan.FromMinutes(1), AbsoluteExpiration = DateTimeOffset.UtcNow.AddDays(1) };
                break;
            case "DefaultEntryOptions=unknown-flags":
                o.DefaultEntryOptions = new CacheEntryOptions { Expiration = TimeSpan.FromMinutes(1), Flags = (CacheEntryFlags)64 };
                break;
            case "OnDeserializationFailure=undefined": o.OnDeserializationFailure = (DeserializationFailureBehavior)42; break;
            default: throw new ArgumentOutOfRangeException(nameof(change), change, null);
        }
    }
}
