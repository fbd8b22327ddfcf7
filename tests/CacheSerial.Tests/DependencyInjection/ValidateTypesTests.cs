using System.Text.Json;
using CacheSerial.TestSupport.Behaviour;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CacheSerial.Tests.DependencyInjection;

/// <summary><c>ValidateTypes</c>/<c>ValidateType</c> stop the host at start when a cache's codec cannot store a type.</summary>
public sealed class ValidateTypesTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task HostStart_TypesTheCodecHandles_Starts()
    {
        using var host = BuildHost(s => s.AddCacheSerial().ValidateTypes(
            typeof(Sample), typeof(string), typeof(int), typeof(List<Sample>), typeof(IReadOnlyList<Sample>),
            typeof(Sample[]), typeof(FieldsOnly), typeof(WithComputedProperty), typeof(Dictionary<string, int>)));

        await host.StartAsync(Ct);
        await host.StopAsync(Ct);
    }

    [Fact]
    public async Task HostStart_GoodSampleWithMessagePack_Starts()
    {
        using var host = BuildHost(s => s.AddCacheSerial().UseMessagePack().ValidateType(new Sample("a", 1)).ValidateTypes(typeof(Sample)));

        await host.StartAsync(Ct);
        await host.StopAsync(Ct);
    }

    [Fact]
    public async Task HostStart_Interface_FailsNamingTypeAndProblem()
    {
        var message = await StartFailsAsync(s => s.AddCacheSerial().ValidateTypes(typeof(IShape)));

        Assert.Contains(typeof(IShape).ToString(), message, StringComparison.Ordinal);
        Assert.Contains("an interface", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HostStart_AbstractClass_FailsNamingTypeAndProblem()
    {
        var message = await StartFailsAsync(s => s.AddCacheSerial().ValidateTypes(typeof(ShapeBase)));

        Assert.Contains(typeof(ShapeBase).ToString(), message, StringComparison.Ordinal);
        Assert.Contains("an abstract class", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HostStart_FieldsWithIncludeFieldsOff_FailsNamingTheFields()
    {
        var message = await StartFailsAsync(s => s.AddCacheSerial().UseSystemTextJson(new JsonSerializerOptions()).ValidateTypes(typeof(FieldsOnly)));

        Assert.Contains(typeof(FieldsOnly).ToString(), message, StringComparison.Ordinal);
        Assert.Contains("IncludeFields", message, StringComparison.Ordinal);
        Assert.Contains("Id, Name", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HostStart_PerTypeCodecOverride_IsTheCodecChecked()
    {
        // The cache's default codec would drop the fields; the per-type codec (default options, IncludeFields on) does not.
        using var host = BuildHost(s => s.AddCacheSerial()
            .UseSystemTextJson(new JsonSerializerOptions())
            .UseCodecFor<FieldsOnly>(SystemTextJsonCodec.Default)
            .ValidateTypes(typeof(FieldsOnly)));

        await host.StartAsync(Ct);
        await host.StopAsync(Ct);
    }

    [Fact]
    public async Task HostStart_GetOnlyAutoProperty_FailsNamingThePropertyButNotComputedOnes()
    {
        var message = await StartFailsAsync(s => s.AddCacheSerial().ValidateTypes(typeof(GetOnly)));

        Assert.Contains("without a setter", message, StringComparison.Ordinal);
        Assert.Contains("(Name)", message, StringComparison.Ordinal);
        Assert.DoesNotContain("Length", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HostStart_TypeMessagePackContractlessCannotRead_FailsWithCodecName()
    {
        var message = await StartFailsAsync(s => s.AddCacheSerial().UseMessagePack().ValidateTypes(typeof(NoMatchingConstructor)));

        Assert.Contains(typeof(NoMatchingConstructor).ToString(), message, StringComparison.Ordinal);
        Assert.Contains("codec 'msgpack'", message, StringComparison.Ordinal);
        Assert.Contains("failed to write a sample: MessagePackSerializationException", message, StringComparison.Ordinal);
        Assert.Contains("constructor", message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task HostStart_SerializerThrows_FailsWithTheException()
    {
        var message = await StartFailsAsync(s => s.AddCacheSerial().ValidateTypes(typeof(ThrowingGetter)));

        Assert.Contains("failed to write", message, StringComparison.Ordinal);
        Assert.Contains("getter failed", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HostStart_SampleWhoseMembersAreLost_FailsWhereCreatedSamplePasses()
    {
        // A codec that loses data only shows it with data: the created sample ("") passes, a real one does not.
        using (var passing = BuildHost(s => s.AddCacheSerial().UseCodecFor<string>(new EmptyingCodec()).ValidateTypes(typeof(string))))
        {
            await passing.StartAsync(Ct);
            await passing.StopAsync(Ct);
        }

        var message = await StartFailsAsync(s => s.AddCacheSerial().UseCodecFor<string>(new EmptyingCodec()).ValidateType("data"));

        Assert.Contains("a round trip changes the value", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HostStart_SeveralFailuresInKeyedCache_ListsAllAndNamesTheCache()
    {
        var message = await StartFailsAsync(s =>
        {
            s.AddCacheSerial().ValidateTypes(typeof(Sample));
            s.AddKeyedCacheSerial("orders").ValidateTypes(typeof(IShape), typeof(ShapeBase), typeof(Sample));
        });

        Assert.Contains("Cache 'orders': type " + typeof(IShape), message, StringComparison.Ordinal);
        Assert.Contains("Cache 'orders': type " + typeof(ShapeBase), message, StringComparison.Ordinal);
        Assert.DoesNotContain("'default'", message, StringComparison.Ordinal);
        Assert.DoesNotContain(typeof(Sample).ToString(), message, StringComparison.Ordinal);
    }

    [Fact]
    public void ValidateTypes_OpenGeneric_IsReportedNotThrownAtRegistration()
    {
        var services = new ServiceCollection();
        services.AddCacheSerial().ValidateTypes(typeof(List<>));
        using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptionsMonitor<CacheSerial.Internal.TypeCheckOptions>>().Get(Options.DefaultName));

        Assert.Contains("open generic", ex.Message, StringComparison.Ordinal);
    }

    private static async Task<string> StartFailsAsync(Action<IServiceCollection> configure)
    {
        using var host = BuildHost(configure);
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(Ct));
        return string.Join("\n", ex.Failures);
    }

    private static IHost BuildHost(Action<IServiceCollection> configure)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Services.AddDistributedMemoryCache();
        configure(builder.Services);
        return builder.Build();
    }

    public interface IShape
    {
        double Area { get; }
    }

    public abstract class ShapeBase
    {
        public double Area { get; set; }
    }

#pragma warning disable CA1051 // the point of the type: its data lives only in public fields
    public sealed class FieldsOnly
    {
        public int Id;
        public string? Name;
    }
#pragma warning restore CA1051

    public sealed class GetOnly
    {
        public GetOnly()
        {
        }

        public GetOnly(string name) => Name = name;

        public string? Name { get; }

        public int Ignored { get; set; }

        public int Length => Name?.Length ?? 0;
    }

    /// <summary>Writes strings as JSON and reads every one back as empty, as a codec that drops a member would.</summary>
    private sealed class EmptyingCodec : ICacheCodec
    {
        public string Name => "emptying";

        public void Serialize<T>(T value, System.Buffers.IBufferWriter<byte> destination) => SystemTextJsonCodec.Default.Serialize(value, destination);

        public T Deserialize<T>(System.Buffers.ReadOnlySequence<byte> source) => (T)(object)string.Empty;
    }

    public sealed class WithComputedProperty
    {
        public string? First { get; set; }

        public int Length => First?.Length ?? 0;
    }

    public sealed class NoMatchingConstructor(int unrelated)
    {
        public int Value { get; set; } = unrelated;
    }

    public sealed class ThrowingGetter
    {
        public int Value => throw new InvalidOperationException("getter failed");
    }
}
