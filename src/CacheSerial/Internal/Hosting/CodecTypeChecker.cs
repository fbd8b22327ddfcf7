using System.Buffers;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace CacheSerial.Internal;

/// <summary>
/// Checks at start that a codec can round-trip a type, so a type the codec would silently damage or refuse fails the
/// host instead of turning every read into a miss (or every write into an exception) in production.
/// </summary>
internal static class CodecTypeChecker
{
    private static readonly MethodInfo s_check =
        typeof(CodecTypeChecker).GetMethod(nameof(CheckCreated), BindingFlags.NonPublic | BindingFlags.Static)!;

    /// <summary>Checks <paramref name="type"/> with a sample the checker creates itself.</summary>
    public static List<string> Check(Type type, ICacheCodec codec)
    {
        if (type.ContainsGenericParameters)
        {
            return ["it is an open generic type; name a closed one (for example List<int>, not List<>)."];
        }

        if (type.IsByRef || type.IsPointer || type.IsByRefLike)
        {
            return ["it is a by-ref, pointer or ref struct type, which no codec can store."];
        }

        return (List<string>)s_check.MakeGenericMethod(type).Invoke(null, [codec])!;
    }

    /// <summary>Checks <typeparamref name="T"/> by round-tripping <paramref name="sample"/>.</summary>
    public static List<string> Check<T>(ICacheCodec codec, T sample)
    {
        var problems = new List<string>();
        StaticChecks(typeof(T), codec, problems);
        RoundTrip(codec, sample, problems);
        return problems;
    }

    private static List<string> CheckCreated<T>(ICacheCodec codec)
    {
        var problems = new List<string>();
        var type = typeof(T);
        StaticChecks(type, codec, problems);
        if (type.IsInterface || type.IsAbstract)
        {
            // Collection interfaces (IReadOnlyList<T>, IDictionary<K,V>...) are created by the codecs as concrete
            // collections; any other abstract type is not.
            if (!typeof(System.Collections.IEnumerable).IsAssignableFrom(type))
            {
                problems.Add($"it is {(type.IsInterface ? "an interface" : "an abstract class")}: a codec creates the declared type when reading, " +
                    "so it cannot create this one. Cache a concrete type.");
            }

            return problems;
        }

        if (TryCreateSample(type, problems) is { } sample)
        {
            RoundTrip(codec, (T)sample, problems);
        }

        return problems;
    }

    private static object? TryCreateSample(Type type, List<string> problems)
    {
        try
        {
            if (type == typeof(string))
            {
                return string.Empty;
            }

            if (type.IsArray)
            {
                return Array.CreateInstance(type.GetElementType()!, 0);
            }

            return type.IsValueType || type.GetConstructor(Type.EmptyTypes) is not null
                ? Activator.CreateInstance(type)
                : RuntimeHelpers.GetUninitializedObject(type);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            problems.Add($"no sample instance could be created ({ex.GetType().Name}: {ex.Message}); pass one with ValidateType<T>(sample).");
            return null;
        }
    }

    /// <summary>Serializes, reads back and serializes again: the two byte strings must be equal.</summary>
    private static void RoundTrip<T>(ICacheCodec codec, T sample, List<string> problems)
    {
        var stage = "write";
        try
        {
            var first = new ArrayBufferWriter<byte>();
            codec.Serialize(sample, first);
            stage = "read back";
            var back = codec.Deserialize<T>(new ReadOnlySequence<byte>(first.WrittenMemory));
            if (back is null)
            {
                problems.Add("a sample reads back as null.");
                return;
            }

            stage = "write again";
            var second = new ArrayBufferWriter<byte>();
            codec.Serialize(back, second);
            if (!first.WrittenSpan.SequenceEqual(second.WrittenSpan))
            {
                problems.Add($"a round trip changes the value (a sample writes {first.WrittenCount} bytes, and what is read back writes " +
                    $"{second.WrittenCount} different bytes): some members are written but not read back.");
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            problems.Add($"the codec failed to {stage} a sample: {Describe(ex)}");
        }
    }

    // Serializers wrap the cause ("Failed to serialize X value."): the innermost message says what to change.
    private static string Describe(Exception ex)
    {
        var text = $"{ex.GetType().Name}: {ex.Message}";
        for (var inner = ex.InnerException; inner is not null; inner = inner.InnerException)
        {
            text += $" -> {inner.GetType().Name}: {inner.Message}";
        }

        return text;
    }

    /// <summary>Problems a default sample cannot show, read from System.Text.Json's own contract for the type.</summary>
    private static void StaticChecks(Type type, ICacheCodec codec, List<string> problems)
    {
        if (codec is not SystemTextJsonCodec json)
        {
            return;
        }

        // Options not used yet may have no resolver (the serializer adds the reflection one on first use); a copy with it
        // is inspected so that the user's instance is not locked or changed by the check.
        var options = json.Options.TypeInfoResolver is null
            ? new JsonSerializerOptions(json.Options) { TypeInfoResolver = new DefaultJsonTypeInfoResolver() }
            : json.Options;
        JsonTypeInfo info;
        try
        {
            info = options.GetTypeInfo(type);
        }
        catch (Exception ex) when (ex is NotSupportedException or InvalidOperationException or ArgumentException)
        {
            problems.Add($"System.Text.Json has no contract for it ({ex.GetType().Name}: {ex.Message}).");
            return;
        }

        if (info.Kind != JsonTypeInfoKind.Object)
        {
            return;
        }

        var members = info.Properties.Select(p => p.AttributeProvider).OfType<MemberInfo>().ToHashSet();
        var skippedFields = type.GetFields(BindingFlags.Public | BindingFlags.Instance)
            .Where(f => !members.Contains(f) && f.GetCustomAttribute<JsonIgnoreAttribute>() is null)
            .Select(f => f.Name)
            .ToList();
        if (skippedFields.Count != 0 && !options.IncludeFields)
        {
            problems.Add($"its data is in public fields ({string.Join(", ", skippedFields)}) and the codec's JsonSerializerOptions.IncludeFields is off, " +
                "so they are neither written nor read. Turn IncludeFields on, mark them [JsonInclude], or use properties.");
        }

        var populate = info.PreferredPropertyObjectCreationHandling == JsonObjectCreationHandling.Populate;
        var lost = info.Properties
            .Where(p => p.Get is not null && p.Set is null && p.AssociatedParameter is null
                && !(populate || p.ObjectCreationHandling == JsonObjectCreationHandling.Populate)
                && p.AttributeProvider is PropertyInfo property && HasBackingField(property))
            .Select(p => ((PropertyInfo)p.AttributeProvider!).Name)
            .ToList();
        if (lost.Count != 0)
        {
            problems.Add($"properties without a setter and without a matching constructor parameter ({string.Join(", ", lost)}) are written but " +
                "not read back, so their values are lost. Add an init accessor or a constructor parameter of the same name.");
        }
    }

    // A get-only auto-property stores data; a computed one (=> expression) is derived on read and loses nothing.
    private static bool HasBackingField(PropertyInfo property) =>
        property.DeclaringType?.GetField($"<{property.Name}>k__BackingField", BindingFlags.NonPublic | BindingFlags.Instance) is not null;
}
