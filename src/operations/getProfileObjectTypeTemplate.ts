import { ResourceNotFoundException } from '../api/errors.js';
import type { GetProfileObjectTypeTemplateRequest, GetProfileObjectTypeTemplateResponse } from '../api/shapes.generated.js';
import { findTemplate, templateOutput } from '../domain/templates/index.js';
import type { Handler } from './context.js';

/**
 * One template of the catalogue. A template whose mappings AWS does not publish answers without Fields
 * and Keys rather than with invented ones (docs/templates.md).
 */
export const getProfileObjectTypeTemplate: Handler<
  GetProfileObjectTypeTemplateRequest,
  GetProfileObjectTypeTemplateResponse
> = async (_ctx, input) => {
  const template = findTemplate(input.TemplateId);
  if (!template) {
    throw new ResourceNotFoundException(
      `Object type template ${input.TemplateId} was not found: ListProfileObjectTypeTemplates lists the templates there are.`,
    );
  }
  return templateOutput(template);
};
