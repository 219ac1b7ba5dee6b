/** Shortening a recipe for a quick run (the retrain wizard's and the CLI's --epochs, the benchmark's, the tests'). */
import type { Recipe } from './pipeline';

/**
 * The recipe with every model trained for `epochs` (teacher and students alike, whatever their own
 * overrides say): what a quick run's "epochs" means. QAT keeps its own count.
 */
export function recipeWithEpochs(recipe: Recipe, epochs: number): Recipe {
  return {
    ...recipe,
    fit: { ...recipe.fit, epochs },
    ...(recipe.teacherFit ? { teacherFit: { ...recipe.teacherFit, epochs } } : {}),
    ...(recipe.studentFit ? { studentFit: { ...recipe.studentFit, epochs } } : {}),
  };
}
