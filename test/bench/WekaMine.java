/*
 * WekaMine.java
 *	  Runs Weka's Apriori or FPGrowth (Debian's weka package) for the mining
 *	  benchmark and prints one JSON line: load and mining seconds, frequent
 *	  itemsets per length, rules.
 *
 *	  java -cp /usr/share/java/weka.jar:DIR WekaMine apriori|fpgrowth FILE.arff MIN_COUNT MIN_CONF
 *
 * MIN_COUNT is the exact absolute threshold (ceil(min_support * N), computed by
 * the caller).  FPGrowth takes a number of instances (-M > 1), but divides it by N
 * and takes ceil(M / N * N), which slips: on retail, 45 / 88162 * 88162 is
 * 45.00000000000001 and FPGrowth then mines at 46.  So it gets MIN_COUNT - 0.5,
 * which the slip cannot push past MIN_COUNT.  Apriori takes only a fraction and
 * rounds it itself, so it gets
 * (MIN_COUNT - 0.25) / N, which every rounding Weka could use (ceil, round
 * half up, >=) maps to MIN_COUNT; the benchmark checks the itemset counts
 * against the oracle anyway.  Apriori runs one support level: upper bound 1,
 * delta 1 - fraction.  Both also generate rules at MIN_CONF (Weka cannot mine
 * itemsets alone); the benchmark passes 1.0 for itemset cases so that rule
 * generation stays small.  Itemsets are read from Weka's protected fields by
 * reflection (Weka 3.6 prints them only as text).
 */
import java.lang.reflect.Field;
import java.util.Map;
import java.util.TreeMap;

import weka.associations.Apriori;
import weka.associations.FPGrowth;
import weka.core.FastVector;
import weka.core.Instances;
import weka.core.converters.ConverterUtils.DataSource;

public class WekaMine
{
	private static Object field(Object o, String name) throws Exception
	{
		Class<?> c = o.getClass();

		while (c != null)
		{
			try
			{
				Field f = c.getDeclaredField(name);

				f.setAccessible(true);
				return f.get(o);
			}
			catch (NoSuchFieldException e)
			{
				c = c.getSuperclass();
			}
		}
		throw new NoSuchFieldException(name);
	}

	public static void main(String[] args) throws Exception
	{
		if (args.length != 4)
		{
			System.err.println("usage: WekaMine apriori|fpgrowth FILE.arff MIN_COUNT MIN_CONF");
			System.exit(2);
		}
		String algo = args[0];
		int minCount = Integer.parseInt(args[2]);
		String minConf = args[3];

		long t0 = System.nanoTime();
		Instances data = DataSource.read(args[1]);
		long t1 = System.nanoTime();
		int n = data.numInstances();
		Map<Integer, Integer> byLen = new TreeMap<Integer, Integer>();
		int rules;

		if (algo.equals("apriori"))
		{
			Apriori a = new Apriori();
			double frac = (minCount - 0.25) / n;

			a.setOptions(new String[] {
				"-N", String.valueOf(Integer.MAX_VALUE), "-C", minConf,
				"-U", "1.0", "-D", String.valueOf(1.0 - frac), "-M", String.valueOf(frac)});
			a.buildAssociations(data);
			FastVector levels = (FastVector) field(a, "m_Ls");

			for (int k = 0; k < levels.size(); k++)
			{
				int size = ((FastVector) levels.elementAt(k)).size();

				if (size > 0)
					byLen.put(k + 1, size);
			}
			rules = a.getAllTheRules()[0].size();
		}
		else if (algo.equals("fpgrowth"))
		{
			FPGrowth f = new FPGrowth();

			if (minCount < 2)
				throw new IllegalArgumentException("FPGrowth reads a count of 1 as a fraction");
			f.setOptions(new String[] {
				"-S", "-P", "2", "-N", String.valueOf(Integer.MAX_VALUE), "-C", minConf,
				"-U", "1.0", "-M", String.valueOf(minCount - 0.5)});
			f.buildAssociations(data);
			Object sets = field(f, "m_largeItemSets");
			int size = (Integer) sets.getClass().getMethod("size").invoke(sets);
			java.lang.reflect.Method getItemSet = sets.getClass().getMethod("getItemSet", int.class);

			for (int i = 0; i < size; i++)
			{
				Object s = getItemSet.invoke(sets, i);
				int len = (Integer) s.getClass().getMethod("numberOfItems").invoke(s);

				byLen.merge(len, 1, Integer::sum);
			}
			rules = f.getAssociationRules().size();
		}
		else
			throw new IllegalArgumentException("unknown algorithm " + algo);
		long t2 = System.nanoTime();

		StringBuilder sb = new StringBuilder();
		int total = 0;

		sb.append("{\"algorithm\": \"").append(algo).append("\", \"instances\": ").append(n);
		sb.append(", \"load_s\": ").append((t1 - t0) / 1e9);
		sb.append(", \"mine_s\": ").append((t2 - t1) / 1e9);
		sb.append(", \"by_len\": {");
		boolean first = true;

		for (Map.Entry<Integer, Integer> e : byLen.entrySet())
		{
			sb.append(first ? "" : ", ").append('"').append(e.getKey()).append("\": ").append(e.getValue());
			total += e.getValue();
			first = false;
		}
		sb.append("}, \"itemsets\": ").append(total).append(", \"rules\": ").append(rules).append('}');
		System.out.println(sb);
	}
}
