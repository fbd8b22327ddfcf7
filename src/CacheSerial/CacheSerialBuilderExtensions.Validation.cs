using System.Diagnostics.CodeAnalysis;
using CacheSerial;
using CacheSerial.Internal;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

public static partial class CacheSerialBuilderExtensions
{
    /// <summary>
    /// Checks at host start that this cache's codec for each type (per-type overrides included) can store it: a sample
    /// (parameterless constructor, else an uninitialized instance) is written, read back and written again, and the two
    /// byte strings must match. Also reports interfaces and abstract classes, and, with System.Text.Json, data in public
    /// fields while <c>IncludeFields</c> is off and get-only auto-properties no constructor parameter sets.
    /// </summary>
    /// <remarks>
    /// Every failure is listed in one <see cref="OptionsValidationException"/> thrown when the host starts. A created sample
    /// has default member values, so a loss that only shows with real data is caught by the static checks or not at all:
    /// use <see cref="ValidateType{T}(ICacheSerialBuilder, T)"/> with a representative value for that.
    /// </remarks>
    /// <param name="builder">The builder.</param>
    /// <param name="types">The types this cache stores.</param>
    /// <returns>The builder.</returns>
    [RequiresDynamicCode("Creates generic codec calls for types known at run time.")]
    [RequiresUnreferencedCode("Reads the types' constructors, fields and properties through reflection.")]
    public static ICacheSerialBuilder ValidateTypes(this ICacheSerialBuilder builder, params Type[] types)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(types);
        foreach (var type in types)
        {
            ArgumentNullException.ThrowIfNull(type, nameof(types));
            AddTypeCheck(builder, new TypeCheck(type, codec => CodecTypeChecker.Check(type, codec)));
        }

        return builder;
    }

    /// <summary>
    /// Checks at host start that this cache's codec for <typeparamref name="T"/> round-trips <paramref name="sample"/>
    /// unchanged (same checks as <see cref="ValidateTypes"/>, with your value instead of a created one).
    /// </summary>
    /// <typeparam name="T">The type as the cache is called with it.</typeparam>
    /// <param name="builder">The builder.</param>
    /// <param name="sample">A representative value, with its members set.</param>
    /// <returns>The builder.</returns>
    public static ICacheSerialBuilder ValidateType<T>(this ICacheSerialBuilder builder, T sample)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(sample);
        AddTypeCheck(builder, new TypeCheck(typeof(T), codec => CodecTypeChecker.Check(codec, sample)));
        return builder;
    }

    private static void AddTypeCheck(ICacheSerialBuilder builder, TypeCheck check)
    {
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TypeCheckOptions>, TypeCheckValidator>());
        builder.Services.AddOptions<TypeCheckOptions>(BuilderNames.OptionsName(builder))
            .Configure(o => o.Checks.Add(check))
            .ValidateOnStart();
    }
}
